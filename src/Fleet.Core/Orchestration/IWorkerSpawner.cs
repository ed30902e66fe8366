using Fleet.State;

namespace Fleet.Orchestration;

/// <summary>What the orchestrator asks for when it starts one worker.</summary>
/// <param name="FleetName">The fleet's name (with <c>Root</c>, its tmux session: <see cref="FleetIdentity.TmuxName"/>).</param>
/// <param name="Root">The fleet root (absolute).</param>
/// <param name="Worker">The worker id (tmux window name).</param>
/// <param name="Iteration">The iteration, from 1.</param>
/// <param name="ShimArgv">The full argv of the worker shim, e.g. <c>[dotnet, fleet.dll, worker, --spec, FILE]</c>. Never a shell string.</param>
/// <param name="ShimLog">Where the shim's own stdout/stderr go when no window shows them.</param>
public sealed record SpawnRequest(string FleetName, string Root, string Worker, int Iteration, IReadOnlyList<string> ShimArgv, string ShimLog);

/// <summary>How a worker was started, for status and doctor.</summary>
/// <param name="Mode"><c>tmux</c> or <c>background</c>.</param>
/// <param name="Detail">E.g. the tmux target <c>fleet-demo:builder-a</c>, or the shim log path.</param>
public sealed record SpawnedWorker(string Mode, string Detail);

/// <summary>
/// Starts a worker shim so that it outlives the orchestrator (its own session, no pipe to the caller).
/// The orchestrator learns that the worker ended from its exit.json, never by waiting on the process.
/// </summary>
public interface IWorkerSpawner
{
    /// <summary>
    /// True when a shim this spawner started may go on to run other workers (<see cref="Workers.ShimLink"/>): its
    /// view is a log file the shim can switch. False for a tmux window, which is named after one worker.
    /// </summary>
    bool ShimsCanBeReused => false;

    Task<SpawnedWorker> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken);
}
