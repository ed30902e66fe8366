using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;

namespace Fleet.Workers;

/// <summary>How a worker's run ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkerOutcome>))]
public enum WorkerOutcome
{
    /// <summary>Exit code 0 and the stream reported no error.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>A non-zero exit, an error result in the stream, a crash signal, or the agent could not start.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Ended by a stop signal (SIGINT, SIGTERM, SIGKILL, SIGHUP, SIGQUIT): someone stopped it.</summary>
    [JsonStringEnumMemberName("killed")]
    Killed,

    /// <summary>Ended by a usage or rate limit (<see cref="Fleet.Limits.LimitClassifier"/>): fleet waits for its reset and continues the session.</summary>
    [JsonStringEnumMemberName("limited")]
    Limited,
}

/// <summary>
/// <c>iterations/&lt;N&gt;/&lt;id&gt;.exit.json</c>: written once by the worker shim when the agent ends, atomically
/// (a temp file in the same folder, fsynced, then renamed to the final name), so a reader sees the whole file or none.
/// </summary>
public sealed record WorkerExitRecord
{
    public required string Worker { get; init; }

    public required int Iteration { get; init; }

    /// <summary>The agent's exit code; null when a signal ended it or it never started.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The terminating signal's name (<c>SIGKILL</c>), or null.</summary>
    public string? Signal { get; init; }

    /// <summary>Kept to the millisecond, as written, so a record read back equals the one written.</summary>
    [JsonConverter(typeof(UtcTimestampConverter))]
    public required DateTimeOffset StartedAt { get; init => field = UtcTimestampConverter.ToMilliseconds(value); }

    [JsonConverter(typeof(UtcTimestampConverter))]
    public required DateTimeOffset EndedAt { get; init => field = UtcTimestampConverter.ToMilliseconds(value); }

    public string? SessionId { get; init; }

    public decimal? CostUsd { get; init; }

    public int? Turns { get; init; }

    /// <summary>The stream's final result kind, e.g. <c>success</c> or <c>error_max_budget_usd</c>.</summary>
    public string? ResultKind { get; init; }

    /// <summary>Why the run failed (or a problem recording it), in words.</summary>
    public string? Error { get; init; }

    /// <summary>True unless <see cref="Outcome"/> is <see cref="WorkerOutcome.Succeeded"/>.</summary>
    public bool IsError { get; init; }

    public required WorkerOutcome Outcome { get; init; }

    /// <summary>Stdout lines the stream reader could not parse.</summary>
    public int MalformedLines { get; init; }

    /// <summary>The agent's pid (also its process group id); null when it never started.</summary>
    public int? Pid { get; init; }

    /// <summary>False when the agent's pipes were still held open (by a grandchild) after the drain deadline.</summary>
    public bool OutputDrained { get; init; } = true;

    public long? InputTokens { get; init; }

    /// <summary>Why the run failed, in words code and people can branch on: <c>max budget</c>, <c>max turns</c>, <c>api error</c>…; null when it succeeded.</summary>
    public string? Reason { get; init; }

    /// <summary>The model the stream reported (claude), or the one the worker asked for (codex).</summary>
    public string? Model { get; init; }

    /// <summary>Codex: the thread's cumulative usage after this run; the next iteration's baseline.</summary>
    public Fleet.Streams.CodexUsage? CumulativeUsage { get; init; }

    /// <summary>Claude: the session's total cost as the CLI reported it after this run; the next iteration's baseline.</summary>
    public decimal? CumulativeCostUsd { get; init; }

    public long? OutputTokens { get; init; }

    /// <summary>Which attempt of the (worker, iteration) this was: null for the first, 2 and on for continuations after a limit.</summary>
    public int? Attempt { get; init; }

    /// <summary>A limited run: when the limit resets, when the CLI said so.</summary>
    public DateTimeOffset? ResetsAt { get; init; }

    /// <summary>Gemini: the CLI's own session file this run was priced from (the flight recorder ingests it); null otherwise.</summary>
    public string? SessionFile { get; init; }

    /// <summary>Reads an exit record.</summary>
    public static Task<WorkerExitRecord> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<WorkerExitRecord>(cancellationToken);
        }

        try
        {
            return Task.FromResult(Read(path));
        }
#pragma warning disable CA1031 // Not swallowed: an async method's failure travels in its task, where its callers look for it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Task.FromException<WorkerExitRecord>(e);
        }
    }

    /// <summary>
    /// Reads an exit record. Synchronous on purpose: the orchestrator reads one on the path from a worker's end to
    /// its dependent's start, and the record is a few hundred bytes (one read, no thread-pool hop).
    /// </summary>
    public static WorkerExitRecord Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return JsonSerializer.Deserialize(bytes, WorkerJsonContext.Default.WorkerExitRecord)
            ?? throw new InvalidDataException($"{path}: the exit record is null.");
    }

    /// <summary>The worker's exit record for an iteration, or null while it is still running (no file yet).</summary>
    public static async Task<WorkerExitRecord?> TryReadAsync(string iterationDir, string worker, CancellationToken cancellationToken)
    {
        var path = WorkerFiles.For(iterationDir, worker).ExitJson;
        if (!File.Exists(path))
        {
            // The common case while a worker runs: a stat, not an exception.
            return null;
        }

        try
        {
            return await ReadAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // No record yet; the iteration's folder may not even exist (an orchestrator died before creating it).
            return null;
        }
    }

    /// <summary>Writes the record to <paramref name="path"/> atomically; fails if the file already exists (written once).</summary>
    public Task WriteAtomicallyAsync(string path, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        try
        {
            WriteAtomically(path);
            return Task.CompletedTask;
        }
#pragma warning disable CA1031 // Not swallowed: an async method's failure travels in its task, where its callers look for it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Task.FromException(e);
        }
    }

    /// <summary>
    /// Synchronous on purpose: this runs once per shim, between the agent's exit and the moment the orchestrator can
    /// start its dependents. Serializing to one buffer and writing it in one call keeps that path short (no async
    /// state machines to compile cold, no thread-pool hops); the record is a few hundred bytes.
    /// </summary>
    public void WriteAtomically(string path)
    {
        var bytes = ToUtf8Line();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = PrivateFiles.Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            // rename(2) within one folder: the name appears with the whole content at once. Without overwrite,
            // .NET checks for an existing file first (check, then rename). That refuses a
            // second record; it is not a lock, but one shim owns a (worker, iteration).
            File.Move(temp, path, overwrite: false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Compiles the serialization path before it is needed: the shim calls this while its agent runs, so that
    /// writing the record after the exit runs warm code (the cold serialization was most of the exit-to-record
    /// latency; BENCHMARKS.md).
    /// </summary>
    public static void WarmUp()
    {
        var now = DateTimeOffset.UtcNow;
        _ = new WorkerExitRecord
        {
            Worker = "warm-up",
            Iteration = 1,
            ExitCode = 0,
            Signal = "SIGTERM",
            StartedAt = now,
            EndedAt = now,
            SessionId = "s",
            CostUsd = 0.5m,
            Turns = 1,
            ResultKind = "success",
            Error = "e",
            Outcome = WorkerOutcome.Killed,
            Pid = 1,
            InputTokens = 1,
            OutputTokens = 1,
            Reason = "r",
            Model = "m",
            CumulativeUsage = Fleet.Streams.CodexUsage.Zero,
            Attempt = 2,
            ResetsAt = now,
        }.ToUtf8Line();
    }

    private byte[] ToUtf8Line()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, WorkerJsonContext.Default.WorkerExitRecord);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}

/// <summary>ISO 8601 in UTC with a Z: <c>2026-11-21T10:04:05.123Z</c>.</summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>The instant in UTC, truncated to what <see cref="Write"/> keeps.</summary>
    public static DateTimeOffset ToMilliseconds(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMillisecond));
    }

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}
