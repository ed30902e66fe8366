using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;

namespace Fleet.State;

/// <summary>The kinds of journal entries. Strings on disk: the journal is read by people and by other tools.</summary>
public static class JournalTypes
{
    public const string RunStarted = "run_started";
    public const string OrchestratorStarted = "orchestrator_started";
    public const string IterationStarted = "iteration_started";
    public const string WorkerSpawning = "worker_spawning";
    public const string WorkerEnded = "worker_ended";
    public const string WorkerSkipped = "worker_skipped";

    /// <summary>A worker's run ended on a usage or rate limit: <c>until</c> is when fleet continues its session (attempt = the limited one).</summary>
    public const string WorkerLimited = "worker_limited";

    /// <summary>Intent to continue a limited worker's session: <c>attempt</c> is the continuation's, which claims the pair anew.</summary>
    public const string WorkerContinued = "worker_continued";

    /// <summary>A person's message (<c>message</c>, secrets masked) or interrupt reached a running worker's agent: <c>reason</c> is <c>say</c>, <c>say_now</c> or <c>interrupt</c>.</summary>
    public const string WorkerSteered = "worker_steered";
    public const string Verdict = "verdict";
    public const string CostCapReached = "cost_cap_reached";
    public const string Paused = "paused";
    public const string Resumed = "resumed";
    public const string Killed = "killed";
    public const string RunEnded = "run_ended";
}

/// <summary>
/// One line of <c>.fleet/journal.jsonl</c>. One flat record for every kind keeps the file greppable and the
/// fold simple; each kind uses the fields that apply to it.
/// </summary>
public sealed record JournalEntry
{
    public DateTimeOffset Ts { get; init; }

    public required string Type { get; init; }

    public string? Run { get; init; }

    public string? Worker { get; init; }

    public int? Iteration { get; init; }

    /// <summary>Worker outcome (<c>succeeded|failed|killed</c>), verdict (<c>lgtm|iterate|escalate</c>) or run outcome (<c>success|failed|escalated|paused|killed</c>).</summary>
    public string? Outcome { get; init; }

    public string? Reason { get; init; }

    public decimal? CostUsd { get; init; }

    public int? ExitCode { get; init; }

    public string? Signal { get; init; }

    public int? Pid { get; init; }

    public ulong? StartTime { get; init; }

    /// <summary>run_started: the fleet's name, type and how workers are spawned and pointed.</summary>
    public string? Fleet { get; init; }

    public string? FleetType { get; init; }

    public string? SpawnMode { get; init; }

    public string? Rehearsal { get; init; }

    /// <summary>run_started: <c>no-memory</c> for a run launched without anything carried from earlier runs; absent for the memory arm.</summary>
    public string? Arm { get; init; }

    /// <summary>verdict: where it came from (<c>review.md</c>, or <c>no verdict</c> when the file was missing or ambiguous).</summary>
    public string? Source { get; init; }

    /// <summary>worker_spawning: SHA-256 of the worker's <c>workers/&lt;id&gt;/prompt.md</c> as it was read for this spawn (null without one), so an edit during the run is a gate on record.</summary>
    public string? Brief { get; init; }

    /// <summary>worker_limited / worker_continued: which attempt of the (worker, iteration); absent means the first.</summary>
    public int? Attempt { get; init; }

    /// <summary>worker_limited: when the session is continued (the limit's reset, or the end of a backoff).</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>worker_steered: what the person said, secrets masked.</summary>
    public string? Message { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JournalEntry))]
internal sealed partial class JournalJsonContext : JsonSerializerContext;

/// <summary>A journal line that is not an entry (a write cut short by a crash, or damage): skipped by every reader.</summary>
/// <param name="Line">1-based line number in the file.</param>
public sealed record SkippedJournalLine(int Line, string Text);

/// <summary>What a journal file holds: its entries in order, and the lines that could not be read.</summary>
public sealed record JournalContents(IReadOnlyList<JournalEntry> Entries, IReadOnlyList<SkippedJournalLine> Skipped);

/// <summary>The journal this run was writing was deleted or replaced: the run cannot be told truthfully any more.</summary>
public sealed class JournalLostException : IOException
{
    public JournalLostException()
    {
    }

    public JournalLostException(string message)
        : base(message)
    {
    }

    public JournalLostException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The append-only record of every orchestrator decision: intent before acting, outcome after, each line
/// flushed to disk before the action it announces. State is a fold over it (<see cref="RunState"/>).
/// </summary>
/// <param name="displayPath">How messages name the file (e.g. <c>.fleet/journal.jsonl</c>); the path itself by default.</param>
public sealed class Journal(string path, TimeProvider time, string? displayPath = null)
{
    private readonly Lock _gate = new();
    private bool _tailChecked;
    private FileIdentity? _pinned;

    public string Path { get; } = path;

    /// <summary>
    /// From now on every append must go to the file <see cref="Path"/> names now: if it is deleted or replaced
    /// (another inode), appends throw <see cref="JournalLostException"/> instead of starting a new, headless journal.
    /// </summary>
    /// <exception cref="JournalLostException">There is no journal to pin.</exception>
    public void Pin()
    {
        lock (_gate)
        {
            _pinned = InputFiles.IdentityOf(Path) ?? throw Lost("missing", "does not exist");
        }
    }

    /// <summary>Throws when the pinned journal is no longer the file at <see cref="Path"/>.</summary>
    /// <exception cref="JournalLostException">Deleted or replaced since <see cref="Pin"/>.</exception>
    public void EnsureIntact()
    {
        lock (_gate)
        {
            CheckPinned();
        }
    }

    /// <summary>Appends one entry and flushes it to disk before returning.</summary>
    public Task<JournalEntry> AppendAsync(JournalEntry entry, CancellationToken cancellationToken) =>
        AppendAsync(entry, flush: true, cancellationToken);

    /// <summary>
    /// Appends one entry; with <paramref name="flush"/> false it is written (a crash of this process cannot lose it)
    /// but not yet forced to disk: the caller flushes once (<see cref="Flush"/>) before it acts on any of a round's
    /// entries, so one fsync covers them all.
    /// </summary>
    public Task<JournalEntry> AppendAsync(JournalEntry entry, bool flush, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var stamped = entry.Ts == default ? entry with { Ts = time.GetUtcNow() } : entry;
        var line = JsonSerializer.Serialize(stamped, JournalJsonContext.Default.JournalEntry) + "\n";
        cancellationToken.ThrowIfCancellationRequested();

        // Synchronous on purpose: one small line, flushed to disk before the caller acts on it.
        lock (_gate)
        {
            CheckPinned();
            PrivateFiles.CreateDirectoryFor(Path);

            // A writer killed mid-line leaves a fragment without its newline: start on a line of our own, or this
            // entry would be glued to the fragment and be unreadable too.
            var separator = !_tailChecked && EndsTorn(Path) ? "\n" : string.Empty;
            using var file = Open();
            file.Write(Encoding.UTF8.GetBytes(separator + line));
            file.Flush(flushToDisk: flush);
            _tailChecked = true;
        }

        return Task.FromResult(stamped);
    }

    /// <summary>Forces every entry written so far to disk (fsync of the file).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            CheckPinned();
            using var file = Open();
            file.Flush(flushToDisk: true);
        }
    }

    private void CheckPinned()
    {
        if (_pinned is not { } pinned)
        {
            return;
        }

        switch (InputFiles.IdentityOf(Path))
        {
            case null:
                throw Lost("missing", "was deleted while the run was going");
            case { } now when now != pinned:
                throw Lost("replaced", "was replaced while the run was going (it is not the file this run was writing)");
            default:
                break;
        }
    }

    private JournalLostException Lost(string what, string how) => new($"journal {what}: {displayPath ?? Path} {how}");

    /// <summary>Whether an append-only JSONL file ends in a line cut short (no final newline): the next append starts a line of its own.</summary>
    internal static bool EndsTorn(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length == 0)
            {
                return false;
            }

            stream.Position = stream.Length - 1;
            return stream.ReadByte() != '\n';
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private FileStream Open() => PrivateFiles.Open(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);

    /// <summary>
    /// Every entry in order. A torn last line (the writer was killed mid-write) is skipped; so is any line
    /// that is not an entry, so a damaged journal still yields what it can.
    /// </summary>
    public static IReadOnlyList<JournalEntry> Read(string path) => ReadAll(path).Entries;

    /// <summary>Every entry in order, and every line that is not one (with its line number) so it can be reported.</summary>
    public static JournalContents ReadAll(string path)
    {
        if (!InputFiles.Exists(path, path))
        {
            return new JournalContents([], []);
        }

        var entries = new List<JournalEntry>();
        var skipped = new List<SkippedJournalLine>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(line, JournalJsonContext.Default.JournalEntry) is { Type.Length: > 0 } entry)
                {
                    entries.Add(entry);
                    continue;
                }
            }
            catch (JsonException)
            {
            }

            skipped.Add(new SkippedJournalLine(number, line));
        }

        return new JournalContents(entries, skipped);
    }
}
