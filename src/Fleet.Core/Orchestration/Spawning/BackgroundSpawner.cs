using Fleet.Processes;

namespace Fleet.Orchestration.Spawning;

/// <summary>
/// Starts each worker shim as a daemon through <see cref="DetachedProcess"/>: <c>setsid -f sh -c SCRIPT SHIM…</c>, where SCRIPT is the constant
/// <see cref="DetachedProcess.Script"/>. The shim's argv travels as arguments (<c>"$0" "$@"</c>), never inside a string;
/// the log path travels in the environment (<c>FLEET_DETACHED_LOG</c>), removed before the shim starts.
/// <list type="bullet">
/// <item><c>setsid -f</c> always forks: the shim is not our child (the runtime neither waits on it nor reaps
/// it), its parent is gone at once, and it leads a session and process group of its own with no controlling
/// terminal: no Ctrl+C typed at the orchestrator's terminal and no hang-up reaches it.</item>
/// <item><c>sh</c> points stdin at /dev/null and stdout/stderr at the shim log <em>before</em> <c>exec</c>,
/// so no descriptor of ours (pipe or terminal) survives in the shim: <c>$(fleet launch …)</c> never waits on a
/// worker. Managed code cannot re-point fds 0–2 between fork and exec, hence the shell.</item>
/// <item>We read setsid's own stdout and stderr to their end: the end comes when <c>sh</c> has replaced them
/// (at its <c>exec</c>), so errors of setsid or of the redirection (an unwritable log) are reported here.
/// After that nothing of ours is attached to the shim.</item>
/// <item>Descriptors this process inherited without close-on-exec are marked close-on-exec first
/// (<see cref="InheritedDescriptors"/>), so the shim holds none of them either.</item>
/// </list>
/// </summary>
public sealed class BackgroundSpawner : IWorkerSpawner
{
    private readonly TimeProvider _timeProvider;

    public BackgroundSpawner(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A background shim's view is a log file; a reused shim writes the next worker's view to that worker's log.</summary>
    public bool ShimsCanBeReused => true;

    public async Task<SpawnedWorker> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ShimArgv.Count == 0)
        {
            throw new ArgumentException("The shim argv is empty.", nameof(request));
        }

        if (!Path.IsPathFullyQualified(request.ShimLog))
        {
            throw new ArgumentException($"The shim log must be an absolute path: {request.ShimLog}", nameof(request));
        }

        try
        {
            await DetachedProcess.StartAsync(request.ShimArgv, request.ShimLog, request.Root, null, _timeProvider, cancellationToken);
        }
        catch (DetachedStartException e)
        {
            throw new WorkerSpawnException($"cannot start worker {request.Worker} in the background: {e.Message}", e);
        }

        return new SpawnedWorker("background", request.ShimLog);
    }
}
