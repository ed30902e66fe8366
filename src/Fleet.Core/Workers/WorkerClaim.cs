using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;
using Fleet.Processes;

namespace Fleet.Workers;

/// <summary>
/// <c>iterations/N/&lt;id&gt;.run.json</c>: created exclusively by the one shim that runs (worker, iteration),
/// before the agent starts. A second shim for the same pair finds it and refuses, which is what lets a
/// restarted orchestrator re-spawn a worker it is unsure about without ever starting the agent twice.
/// Once the agent runs, the file also names the shim and the agent (pid plus start time), so the
/// orchestrator can re-adopt them and <c>fleet kill</c> can reach the agent's process group and every process carrying its token.
/// <para>
/// It also tells a restarted orchestrator what a shim that ended without an exit.json left behind: whether it had
/// begun to start its agent (<see cref="AgentStarting"/>) and, when exit.json could not be written, the outcome
/// itself (<see cref="Exit"/>), written through the handle the shim has held open since it claimed the pair.
/// </para>
/// </summary>
public sealed record WorkerClaim
{
    public required int ShimPid { get; init; }

    public required ulong ShimStartTime { get; init; }

    /// <summary>The <see cref="WorkerToken"/> in the agent's environment, written before the agent starts.</summary>
    public string? Token { get; init; }

    public int? AgentPid { get; init; }

    public ulong? AgentStartTime { get; init; }

    public DateTimeOffset? AgentStartedAt { get; init; }

    /// <summary>Set just before the agent is started: without it, a shim that ended took no agent with it.</summary>
    public bool AgentStarting { get; init; }

    /// <summary>The outcome, when the shim could not write exit.json (e.g. the root was read-only); null otherwise.</summary>
    public WorkerExitRecord? Exit { get; init; }

    /// <summary>Which attempt of the (worker, iteration) holds the claim: null for the first, 2 and on for continuations after a limit.</summary>
    public int? Attempt { get; init; }

    /// <summary>The Slurm job that runs this shim (a slurm worker), or null.</summary>
    public string? SlurmJobId { get; init; }

    /// <summary>The Slurm node the shim runs on: on a loopback cluster every node has the same host name, so the pid alone does not say where.</summary>
    public string? SlurmNode { get; init; }

    [JsonIgnore]
    public ProcessIdentity Shim => new(ShimPid, ShimStartTime);

    /// <summary>The agent, which leads its own process group (pgid = pid).</summary>
    [JsonIgnore]
    public ProcessIdentity? Agent => AgentPid is { } pid && AgentStartTime is { } start ? new ProcessIdentity(pid, start) : null;

    public static string PathFor(string iterationDir, string worker) => Path.Combine(iterationDir, worker + ".run.json");

    /// <summary>The claim, or null when there is none or it is still being written.</summary>
    public static WorkerClaim? TryRead(string iterationDir, string worker)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(PathFor(iterationDir, worker)), WorkerJsonContext.Default.WorkerClaim);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Claims the pair for this process; false when another shim already has.</summary>
    /// <exception cref="IOException">The claim cannot be created for another reason (e.g. the folder is read-only).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    internal static bool TryCreate(string iterationDir, string worker, out FileStream? handle)
    {
        try
        {
            handle = PrivateFiles.Open(PathFor(iterationDir, worker), FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }
        catch (IOException) when (File.Exists(PathFor(iterationDir, worker)))
        {
            handle = null;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Replaces the claim's content and forces it to disk. Synchronous on purpose: the first write stands between a
    /// dependent's hand-over and its agent's start, and each awaited file operation there was a thread-pool hop
    /// (FileStream offloads "async" I/O on a synchronous handle), which on a loaded machine cost milliseconds apiece.
    /// </summary>
    /// <param name="handle">The claim's handle, open since it was created.</param>
    /// <param name="flushToDisk">False for a step that only has to outlive this process, not the machine.</param>
    internal void Write(FileStream handle, bool flushToDisk = true)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, WorkerJsonContext.Default.WorkerClaim);
        handle.SetLength(0);
        handle.Position = 0;
        handle.Write(bytes);
        handle.Flush(flushToDisk);
    }
}
