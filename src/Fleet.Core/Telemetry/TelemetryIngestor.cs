using System.Security.Cryptography;
using System.Threading.Channels;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;

namespace Fleet.Telemetry;

/// <summary>How an ingest reads and tags what it finds.</summary>
public sealed record IngestOptions
{
    public static IngestOptions Default { get; } = new();

    /// <summary>The fleet run the files belong to (orchestrator ingests); <see cref="RunTags.None"/> otherwise.</summary>
    public RunTags Tags { get; init; } = RunTags.None;

    public PrivacyLevel Privacy { get; init; } = PrivacyLevel.Metadata;

    /// <summary>The model a <c>codex exec --json</c> log ran with (the stream never names it).</summary>
    public string? Model { get; init; }

    /// <summary>A fleet worker log of a resumed codex thread: the thread's usage before this run (its spec's baseline).</summary>
    public Fleet.Streams.CodexBaseline? CodexBaseline { get; init; }

    /// <summary>A fleet worker log of a resumed claude session: the session's cost before this run (its spec's baseline).</summary>
    public Fleet.Streams.ClaudeBaseline? ClaudeBaseline { get; init; }

    /// <summary>Readers' own line scans (see <c>TranscriptReader.Scan</c>); off only to prove they store what the full parse stores.</summary>
    internal bool Scans { get; init; } = true;

    /// <summary>Bits kept of the writer's dedup hashes (<see cref="StoreWriter"/>); fewer than 64 only to make them collide in tests.</summary>
    internal int DedupKeyBits { get; init; } = 64;

    /// <summary>Calls a first ingest hashes before its dedup lookups move to the store's indexes (<see cref="StoreWriter.DefaultTableLimit"/>); small only in tests.</summary>
    internal int DedupTableLimit { get; init; } = StoreWriter.DefaultTableLimit;

    /// <summary>Files parsed at once (the store is written by one writer in file order). Default: processor count.</summary>
    public int? Parallelism { get; init; }
}

/// <summary>What one ingest did to one file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Format">How it was recognised (<c>claude-transcript</c>, <c>codex-rollout</c>, …), or <c>unknown</c>.</param>
/// <param name="LinesRead">Lines (or JSON-array elements) read in this pass.</param>
/// <param name="Records">Records written (model calls excluded).</param>
/// <param name="ModelCalls">Model calls added (a Claude line that duplicates a call already stored adds none).</param>
/// <param name="Malformed">Lines of this pass that were not JSON objects.</param>
/// <param name="TruncatedTail">The file ends in a cut-off line, left for the next pass.</param>
/// <param name="Reread">The file was replaced or shrank since the last ingest: its old records were removed and it was read again.</param>
/// <param name="Skipped">Why the file was not read, or null.</param>
public sealed record IngestFileReport(
    string Path,
    string Format,
    long LinesRead,
    long Records,
    long ModelCalls,
    long Malformed,
    bool TruncatedTail,
    bool Reread,
    string? Skipped);

/// <summary>What one ingest did.</summary>
public sealed record IngestReport(IReadOnlyList<IngestFileReport> Files)
{
    public long LinesRead => Files.Sum(f => f.LinesRead);

    public long Records => Files.Sum(f => f.Records);

    public long ModelCalls => Files.Sum(f => f.ModelCalls);

    public long Malformed => Files.Sum(f => f.Malformed);
}

/// <summary>
/// Reads transcripts into the store, incrementally and idempotently: each file's byte offset and identity
/// (a hash of its first bytes) are kept, so a second ingest reads only appended lines, and a replaced or
/// truncated file is read again from the start after its old rows are removed. Files are parsed in parallel
/// and written by one writer in path order, inside one transaction.
/// <para>The orchestrator calls <see cref="IngestAsync(string, RunTags, CancellationToken)"/> per worker log.</para>
/// </summary>
public sealed class TelemetryIngestor(TelemetryStore store, TimeProvider time)
{
    private const int PrefixLength = 4096;

    /// <summary>Ingests one file or folder tagged with a fleet run.</summary>
    public Task<IngestReport> IngestAsync(string path, RunTags tags, CancellationToken cancellationToken) =>
        IngestAsync([path], IngestOptions.Default with { Tags = tags }, cancellationToken);

    /// <summary>Ingests files and folders (folders: every transcript below them).</summary>
    public async Task<IngestReport> IngestAsync(IReadOnlyList<string> paths, IngestOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(options);
        // Into a store built aside, published once written; if another process created the store meanwhile, the files go
        // into that one (whatever it holds of them already is up to date and read no further).
        return await store.WriteAndPublishAsync(ct => IngestOnceAsync(paths, options, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task<IngestReport> IngestOnceAsync(IReadOnlyList<string> paths, IngestOptions options, CancellationToken cancellationToken)
    {
        var files = TranscriptDiscovery.Expand(paths);
        var sources = await store.LoadSourcesAsync(cancellationToken).ConfigureAwait(false);
        using var writer = await StoreWriter.BeginAsync(store, cancellationToken, options.DedupKeyBits, options.DedupTableLimit).ConfigureAwait(false);
        var privacy = new PrivacyPolicy(options.Privacy);

        // Plan: what to read from where. Cheap (a stat and the first 4 KB per file). Files already in the store are
        // planned first, since a replaced one must lose its old rows before anything is written; a new file is planned
        // by the parse worker that reads it, so parsing starts at once.
        var parallelism = Math.Max(1, options.Parallelism ?? Environment.ProcessorCount);
        var known = new FilePlan?[files.Count];
        await Parallel.ForAsync(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            if (sources.GetValueOrDefault(files[i].Path) is { } existing)
                known[i] = await PlanAsync(files[i], existing, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);

        foreach (var plan in known.Where(p => p is { Reread: true, Existing: not null }))
            writer.DeleteSourceRows(plan!.Existing!.Id);

        // Parse ahead in parallel; write strictly in file order so dedup ties resolve the same way every time.
        var plans = files.Select(_ => new TaskCompletionSource<FilePlan>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var channels = files.Select(_ => Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true })).ToArray();
        var results = new FileProgress?[files.Count];
        var next = -1;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Files are parsed at most four per worker ahead of the file being written (a permit per file, given back once it
        // is written): unbounded, parsed records wait for the writer long enough to be promoted and peak memory grows
        // with the corpus; one per worker leaves workers waiting behind a large file (BENCHMARKS.md).
        using var window = new SemaphoreSlim(4 * parallelism);
        var workers = Enumerable.Range(0, Math.Min(parallelism, Math.Max(1, files.Count))).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                await window.WaitAsync(stop.Token).ConfigureAwait(false);
                var i = Interlocked.Increment(ref next);
                if (i >= files.Count)
                {
                    window.Release(); // for the next worker to see that too
                    break;
                }

                var channel = channels[i].Writer;
                try
                {
                    var plan = known[i] ?? await PlanAsync(files[i], null, stop.Token).ConfigureAwait(false);
                    plans[i].SetResult(plan);
                    results[i] = await ReadAsync(plan, options, privacy, channel, stop.Token).ConfigureAwait(false);
                    channel.TryComplete();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    channel.TryComplete(e);
                }
                catch (Exception e)
                {
                    plans[i].TrySetException(e);
                    channel.TryComplete(e);
                    throw;
                }
            }
        }, stop.Token)).ToList();

        var reports = new List<IngestFileReport>(files.Count);
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                var plan = await plans[i].Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                reports.Add(await WriteAsync(writer, plan, channels[i].Reader, () => results[i], options, cancellationToken).ConfigureAwait(false));
                window.Release();
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }

        writer.Commit();
        return new IngestReport(reports);
    }

    private async Task<IngestFileReport> WriteAsync(StoreWriter writer, FilePlan plan, ChannelReader<RecordBatch> batches, Func<FileProgress?> result, IngestOptions options, CancellationToken cancellationToken)
    {
        var formatName = FormatName(plan.Format);
        if (plan.Skip is { } why)
        {
            await foreach (var _ in batches.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            return new IngestFileReport(plan.File.Path, formatName, 0, 0, 0, 0, false, false, why);
        }

        var sourceId = plan.Existing?.Id ?? writer.SaveSource(Row(plan, 0, 0, 0, false, null), plan.File.Project, options.Tags, time.GetUtcNow());
        long records = 0, calls = 0;
        try
        {
            await foreach (var batch in batches.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var (r, c) = writer.Write(sourceId, plan.File.Project, batch);
                records += r;
                calls += c;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new IngestFileReport(plan.File.Path, formatName, 0, records, calls, 0, false, plan.Reread, $"unreadable: {e.Message}");
        }

        var progress = result() ?? throw new InvalidOperationException($"{plan.File.Path}: reader ended without a result");
        var malformed = (plan.Reread ? 0 : plan.Existing?.Malformed ?? 0) + progress.Malformed;
        writer.SaveSource(Row(plan, progress.Offset, progress.Line, malformed, progress.TruncatedTail, plan.StateAfter), plan.File.Project, options.Tags, time.GetUtcNow());
        return new IngestFileReport(plan.File.Path, formatName, progress.LinesRead, records, calls, progress.Malformed, progress.TruncatedTail, plan.Reread && plan.Existing is not null, null);
    }

    private static SourceRow Row(FilePlan plan, long offset, long line, long malformed, bool truncated, string? state) =>
        new(plan.Existing?.Id ?? 0, plan.File.Path, FormatName(plan.Format), plan.PrefixLength, plan.PrefixHash, plan.Size, offset, line, malformed, truncated, state);

    private static async Task<FileProgress> ReadAsync(FilePlan plan, IngestOptions options, PrivacyPolicy privacy, ChannelWriter<RecordBatch> channel, CancellationToken cancellationToken)
    {
        if (plan.Skip is not null || plan.UpToDate)
            return new FileProgress(plan.Existing?.Offset ?? 0, plan.Existing?.Line ?? 0, 0, 0, plan.Existing?.TruncatedTail ?? false);

        var sink = new RecordSink();
        var context = new ReaderContext
        {
            File = plan.File.Path,
            Sink = sink,
            Privacy = privacy,
            Tags = options.Tags,
            Project = plan.File.Project,
            Model = options.Model,
            CodexBaseline = options.CodexBaseline,
            ClaudeBaseline = options.ClaudeBaseline,
            FallbackTime = new DateTimeOffset(File.GetLastWriteTimeUtc(plan.File.Path), TimeSpan.Zero),
            Scans = options.Scans,
        };
        var reader = TranscriptReader.Create(plan.Format, context);
        if (!plan.Reread && plan.Existing?.State is { } state)
            reader.LoadState(state);

        async ValueTask Flush(RecordBatch batch) => await channel.WriteAsync(batch, cancellationToken).ConfigureAwait(false);

        var progress = plan.Document
            ? await TranscriptFile.FeedDocumentAsync(plan.File.Path, reader, sink, Flush, cancellationToken).ConfigureAwait(false)
            : await TranscriptFile.FeedLinesAsync(plan.File.Path, plan.StartOffset, plan.StartLine, reader, sink, Flush, cancellationToken).ConfigureAwait(false);
        await Flush(sink.Flush()).ConfigureAwait(false);
        plan.StateAfter = reader.SaveState();
        return progress;
    }

    private static async Task<FilePlan> PlanAsync(TranscriptPath file, SourceRow? existing, CancellationToken cancellationToken)
    {
        var plan = new FilePlan { File = file, Existing = existing };
        try
        {
            var info = new FileInfo(file.Path);
            plan.Size = info.Length;
            // One 4 KB read serves the identity hash and, for most new files, the format sniff (a file whose first
            // telling line is longer is read again in growing steps: SniffLinesAsync).
            var start = await TranscriptFile.HeadAsync(file.Path, (int)Math.Min(PrefixLength, plan.Size), cancellationToken).ConfigureAwait(false);
            var head = start.AsMemory(0, Math.Min(PrefixLength, start.Length));
            plan.PrefixLength = head.Length;
            plan.PrefixHash = Convert.ToHexString(SHA256.HashData(head.Span));
            plan.Document = TranscriptFile.IsDocument(file.Path, head.Span);

            if (existing is not null)
            {
                var sameStart = existing.PrefixLength <= head.Length
                    && Convert.ToHexString(SHA256.HashData(head.Span[..existing.PrefixLength])) == existing.PrefixHash;
                if (!sameStart || plan.Size < existing.Offset)
                {
                    plan.Reread = true;
                }
                else if (plan.Size == existing.Offset && (!plan.Document || existing.PrefixLength == head.Length))
                {
                    plan.UpToDate = true;
                    plan.Format = ParseFormat(existing.Format);
                    plan.StateAfter = existing.State;
                    return plan;
                }
                else if (plan.Document)
                {
                    plan.Reread = true; // a JSON document that changed is read whole again
                }
                else
                {
                    plan.Format = ParseFormat(existing.Format);
                    plan.StartOffset = existing.Offset;
                    plan.StartLine = existing.Line;
                    plan.StateAfter = existing.State;
                    if (plan.Format != TranscriptFormat.Unknown)
                        return plan;
                }
            }
            else
            {
                plan.Reread = true;
            }

            plan.StartOffset = 0;
            plan.StartLine = 0;
            plan.Format = plan.Document
                ? await TranscriptFile.SniffDocumentAsync(file.Path, cancellationToken).ConfigureAwait(false)
                : TranscriptFile.SniffLines(start) is var sniffed && (sniffed != TranscriptFormat.Unknown || start.Length >= plan.Size)
                    ? sniffed
                    : await TranscriptFile.SniffLinesAsync(file.Path, cancellationToken).ConfigureAwait(false);
            if (plan.Format == TranscriptFormat.Unknown)
                plan.Skip = head.Length == 0 ? "empty" : "not a transcript fleet knows";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            plan.Skip = $"unreadable: {e.Message}";
        }

        return plan;
    }

    internal static string FormatName(TranscriptFormat format) => format switch
    {
        TranscriptFormat.ClaudeTranscript => "claude-transcript",
        TranscriptFormat.ClaudeStream => "claude-stream-json",
        TranscriptFormat.CodexRollout => "codex-rollout",
        TranscriptFormat.CodexExec => "codex-exec-json",
        TranscriptFormat.GeminiStream => "gemini-stream-json",
        TranscriptFormat.GeminiSession => "gemini-session",
        _ => "unknown",
    };

    private static TranscriptFormat ParseFormat(string name) => name switch
    {
        "claude-transcript" => TranscriptFormat.ClaudeTranscript,
        "claude-stream-json" => TranscriptFormat.ClaudeStream,
        "codex-rollout" => TranscriptFormat.CodexRollout,
        "codex-exec-json" => TranscriptFormat.CodexExec,
        "gemini-stream-json" => TranscriptFormat.GeminiStream,
        "gemini-session" => TranscriptFormat.GeminiSession,
        _ => TranscriptFormat.Unknown,
    };

    private sealed class FilePlan
    {
        public required TranscriptPath File { get; init; }

        public SourceRow? Existing { get; init; }

        public TranscriptFormat Format { get; set; }

        public long Size { get; set; }

        public int PrefixLength { get; set; }

        public string PrefixHash { get; set; } = "";

        public bool Document { get; set; }

        public bool Reread { get; set; }

        public bool UpToDate { get; set; }

        public long StartOffset { get; set; }

        public long StartLine { get; set; }

        public string? Skip { get; set; }

        public string? StateAfter { get; set; }
    }
}
