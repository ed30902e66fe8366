using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Gates;
using Fleet.State;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;

namespace Fleet.Telemetry;

/// <summary>
/// Gates into the flight recorder: the inbox's per-worker logs (<see cref="GateRecord"/> lines) and the journal's
/// gate-like entries (escalations, pauses, resumes, kills, prompt.md edits), each a <see cref="HumanGateRecord"/>
/// tagged with run, fleet, worker and iteration. Writing is idempotent: one row per (run, gate), updated when a
/// pending gate is decided later.
/// </summary>
public static class GateTelemetry
{
    public const string Permission = "permission";
    public const string Question = "question";
    public const string Escalation = "escalation";
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Kill = "kill";
    public const string PromptEdit = "prompt_edit";

    /// <summary>A person's <c>fleet say</c> or <c>fleet interrupt</c> to a running worker: asked is the message, the decision say, say_now or interrupt.</summary>
    public const string Steer = "steer";

    /// <summary>A worker's <c>&lt;worker&gt;.gates.jsonl</c>; torn or foreign lines are skipped.</summary>
    public static IReadOnlyList<HumanGateRecord> ReadLog(string logFile, RunTags tags, PrivacyPolicy privacy)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(privacy);
        var records = new List<HumanGateRecord>();
        if (!File.Exists(logFile))
        {
            return records;
        }

        var iterationDir = Path.GetDirectoryName(Path.GetFullPath(logFile))!;
        foreach (var (gate, line) in Parse(logFile))
        {
            var answer = ReadAnswer(GatePaths.Answer(iterationDir, gate.Id));
            var answers = answer?.Answers is { Count: > 0 } a ? string.Join("; ", a.Select(p => $"{p.Key}: {p.Value}")) : null;
            records.Add(new HumanGateRecord
            {
                Provider = AgentProvider.Fleet,
                Timestamp = gate.AskedAt,
                Source = new SourceRef(logFile, line),
                Tags = tags with { Worker = gate.Worker, Iteration = gate.Iteration },
                GateId = gate.Id,
                GateKind = gate.Kind,
                Tool = gate.Tool,
                Asked = privacy.Text(gate.Summary),
                Decision = gate.Decision,
                DecidedBy = gate.DecidedBy,
                By = gate.DecidedBy == "person" ? answer?.By : null,
                Rule = gate.Rule,
                Message = privacy.Text(gate.Message ?? answers),
                DecidedAt = gate.DecidedAt,
                WaitedMs = gate.WaitedMs,
            });
        }

        return records;
    }

    /// <summary>The journal's gates, for every run it holds; a gate still pending (an escalation no one answered yet) has no decision.</summary>
    public static IReadOnlyList<HumanGateRecord> FromJournal(string journalFile, PrivacyPolicy privacy)
    {
        ArgumentNullException.ThrowIfNull(privacy);
        var entries = Journal.Read(journalFile);
        var records = new List<HumanGateRecord>();
        string? run = null, fleet = null, arm = null;
        var briefs = new Dictionary<string, (string? Hash, int? Iteration)>(StringComparer.Ordinal);
        int? waiting = null; // index in records of the pause or escalation a person has yet to end
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            HumanGateRecord Gate(string kind, string? asked, string? decision, string? worker = null) => new()
            {
                Provider = AgentProvider.Fleet,
                Timestamp = e.Ts,
                Source = new SourceRef(journalFile, i + 1),
                Tags = new RunTags(run, fleet, worker, e.Iteration) { Arm = arm },
                GateId = string.Create(CultureInfo.InvariantCulture, $"{kind}-{i + 1}"),
                GateKind = kind,
                Asked = privacy.Text(asked),
                Decision = decision,
                DecidedBy = decision is null ? null : "person",
                DecidedAt = decision is null ? null : e.Ts,
                WaitedMs = decision is null ? null : 0,
            };

            void EndWaiting(string decision)
            {
                // An escalation is a question to a person: their resume or kill is its answer.
                if (waiting is { } w && records[w] is { GateKind: Escalation, Timestamp: { } asked } open)
                {
                    records[w] = open with { Decision = decision, DecidedBy = "person", DecidedAt = e.Ts, WaitedMs = Millis(e.Ts - asked) };
                }
            }

            switch (e.Type)
            {
                case JournalTypes.RunStarted:
                    (run, fleet, arm, waiting) = (e.Run, e.Fleet, RunArms.Of(e.Arm), null);
                    briefs.Clear();
                    break;
                case JournalTypes.WorkerSpawning when e.Worker is { } worker:
                    if (briefs.TryGetValue(worker, out var previous) && previous.Hash != e.Brief)
                    {
                        records.Add(Gate(PromptEdit, $"workers/{worker}/prompt.md edited after iteration {previous.Iteration}", "edited", worker));
                    }

                    briefs[worker] = (e.Brief, e.Iteration);
                    break;
                case JournalTypes.Paused when e.Outcome == "escalated":
                    records.Add(Gate(Escalation, e.Reason, null));
                    waiting = records.Count - 1;
                    break;
                case JournalTypes.Paused:
                    records.Add(Gate(Pause, e.Reason, "paused"));
                    waiting = records.Count - 1;
                    break;
                case JournalTypes.Resumed:
                    EndWaiting("resumed");
                    var since = waiting is { } w ? records[w].Timestamp : null;
                    records.Add(Gate(Resume, e.Reason, "resumed") with { WaitedMs = since is { } s ? Millis(e.Ts - s) : 0 });
                    waiting = null;
                    break;
                case JournalTypes.WorkerSteered:
                    records.Add(Gate(Steer, e.Message, e.Reason ?? "say", e.Worker));
                    break;
                case JournalTypes.Killed:
                    EndWaiting("killed");
                    records.Add(Gate(Kill, e.Reason, "killed", e.Worker));
                    waiting = null;
                    break;
                default:
                    break;
            }
        }

        return records;
    }

    /// <summary>
    /// Every gate of a fleet root: the journal's, the current run's inbox logs (<c>iterations/</c>) and those of the
    /// runs archived under <c>.fleet/runs/&lt;run&gt;/iterations</c>.
    /// </summary>
    public static IReadOnlyList<HumanGateRecord> ReadRoot(string root, PrivacyPolicy privacy)
    {
        var layout = new FleetLayout(root);
        var entries = Journal.Read(layout.JournalFile);
        var starts = entries.Where(e => e.Type == JournalTypes.RunStarted && e.Run is not null).GroupBy(e => e.Run!).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var records = new List<HumanGateRecord>(FromJournal(layout.JournalFile, privacy));
        var current = RunState.Fold(entries).RunId;
        var sets = new List<(string? Run, string Dir)> { (current, Path.Combine(layout.Root, "iterations")) };
        var archive = Path.Combine(layout.StateDir, "runs");
        if (Directory.Exists(archive))
        {
            sets.AddRange(Directory.EnumerateDirectories(archive).Select(d => ((string?)Path.GetFileName(d), Path.Combine(d, "iterations"))));
        }

        foreach (var (run, dir) in sets.Where(s => Directory.Exists(s.Dir)))
        {
            var start = run is null ? null : starts.GetValueOrDefault(run);
            var tags = new RunTags(run, start?.Fleet) { Arm = start is null ? null : RunArms.Of(start.Arm) };
            foreach (var log in Directory.EnumerateFiles(dir, "*.gates.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                records.AddRange(ReadLog(log, tags, privacy));
            }
        }

        return records;
    }

    /// <summary>Writes gates (one row per run and gate id; a gate seen again is updated); returns how many rows were written.</summary>
    public static Task<int> WriteAsync(TelemetryStore store, IReadOnlyList<HumanGateRecord> gates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return GateTable.UpsertAsync(store, gates, cancellationToken);
    }

    /// <summary>Gates per worker (worker null: the run's own gates: pauses, resumes, escalations, kills of all).</summary>
    public static Task<IReadOnlyList<GateCount>> CountByWorkerAsync(TelemetryStore store, string? run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return GateTable.CountByWorkerAsync(store, run, cancellationToken);
    }

    public static Task<IReadOnlyList<GateKindCount>> CountByKindAsync(TelemetryStore store, string? run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return GateTable.CountByKindAsync(store, run, cancellationToken);
    }

    /// <summary>
    /// The log's records: one compact JSON object per line, as JSONL has it; an object written indented over several
    /// lines (it starts with <c>{</c> at the start of a line) is read too. Torn or foreign text is skipped.
    /// </summary>
    private static List<(GateRecord Gate, long Line)> Parse(string logFile)
    {
        var records = new List<(GateRecord, long)>();
        using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new StringBuilder();
        long line = 0, start = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.StartsWith('{'))
            {
                buffer.Clear();
                start = line;
            }
            else if (buffer.Length == 0)
            {
                continue;
            }

            buffer.AppendLine(text);
            if (!text.TrimEnd().EndsWith('}'))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(buffer.ToString(), GateJsonContext.Default.GateRecord) is { Id.Length: > 0 } gate)
                {
                    records.Add((gate, start));
                }

                buffer.Clear();
            }
            catch (JsonException)
            {
                // Not whole yet (an indented object's inner closing brace), or not a record: the next '{' line starts over.
            }
        }

        return records;
    }

    private static long Millis(TimeSpan span) => Math.Max(0, (long)span.TotalMilliseconds);

    private static GateAnswer? ReadAnswer(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), GateJsonContext.Default.GateAnswer) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
