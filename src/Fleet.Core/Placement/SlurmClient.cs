using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;
using Fleet.Processes;

namespace Fleet.Placement;

/// <summary><c>iterations/N/&lt;id&gt;.slurm.json</c>: the job that runs a slurm worker's shim, written once sbatch answered.</summary>
public sealed record SlurmJobRecord
{
    public required string JobId { get; init; }

    public required string JobName { get; init; }

    public DateTimeOffset SubmittedAt { get; init; }

    public static SlurmJobRecord? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), PlacementJsonContext.Default.SlurmJobRecord);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(string path) =>
        PrivateFiles.Replace(path, JsonSerializer.SerializeToUtf8Bytes(this, PlacementJsonContext.Default.SlurmJobRecord), flushToDisk: true);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SlurmJobRecord))]
internal sealed partial class PlacementJsonContext : JsonSerializerContext;

/// <summary>A refusal or failure of a Slurm command (sbatch, scancel), with its stderr.</summary>
public sealed class SlurmCommandException : Exception
{
    public SlurmCommandException(string message)
        : base(message)
    {
    }

    public SlurmCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SlurmCommandException()
    {
    }
}

/// <summary>The Slurm commands fleet runs (sbatch, squeue, scancel, sinfo), each an argv with a deadline. The I/O edge of slurm placement.</summary>
public sealed class SlurmClient
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TimeProvider _time;

    public SlurmClient(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Runs an sbatch argv (<see cref="SlurmJob.SbatchArgv"/>) and returns the job id.</summary>
    /// <exception cref="SlurmCommandException">sbatch refused or is missing.</exception>
    public async Task<string> SubmitAsync(IReadOnlyList<string> sbatchArgv, CancellationToken cancellationToken)
    {
        var result = await Run(sbatchArgv, cancellationToken);
        // --parsable prints "ID" or "ID;CLUSTER".
        var id = result.Stdout.Trim().Split(';')[0];
        if (!result.Succeeded || id.Length == 0 || !id.All(char.IsAsciiDigit))
        {
            throw new SlurmCommandException($"sbatch failed: {Problem(result)}");
        }

        return id;
    }

    /// <summary>This user's jobs, ended ones included while the controller remembers them; null when squeue cannot answer.</summary>
    public async Task<IReadOnlyList<SlurmJobInfo>?> QueueAsync(CancellationToken cancellationToken)
    {
        var result = await Run(["squeue", "-h", "--me", "--states=all", "-o", SlurmJobStates.SqueueFormat], cancellationToken);
        return result.Succeeded ? SlurmJobStates.ParseSqueue(result.Stdout) : null;
    }

    /// <summary>Sends a signal to every process of a job (<c>scancel --full --signal</c>), or cancels it (<paramref name="signal"/> null).</summary>
    public async Task<CommandResult> CancelAsync(string jobId, string? signal, CancellationToken cancellationToken) =>
        await Run(signal is null ? ["scancel", jobId] : ["scancel", "--full", $"--signal={signal}", jobId], cancellationToken);

    /// <summary>Runs a Slurm client command as it is (doctor: sinfo, squeue).</summary>
    public Task<CommandResult> Run(IReadOnlyList<string> argv, CancellationToken cancellationToken) =>
        Run(argv, null, cancellationToken);

    /// <summary>Runs a command with <paramref name="input"/> on its stdin and a deadline (30 s unless given).</summary>
    public Task<CommandResult> Run(IReadOnlyList<string> argv, string? input, CancellationToken cancellationToken, TimeSpan? deadline = null) =>
        CommandRunner.For(argv).WithStandardInput(input).WithTimeout(deadline ?? Deadline, _time).ExecuteBufferedAsync(cancellationToken);

    private static string Problem(CommandResult result) =>
        !result.Started ? "not found on PATH (install slurm-client)"
        : result.TimedOut ? "no answer within 30 s"
        : result.Stderr.Trim() is { Length: > 0 } e ? e : $"exit {result.ExitCode}";
}
