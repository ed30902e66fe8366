using Fleet.Processes;

namespace Fleet.Orchestration;

/// <summary>Workers in the background: each shim detached in its own session, its readable view in a log file.</summary>
public sealed class DetachedSpawner : IWorkerSpawner
{
    public async Task<SpawnedWorker> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await DetachedProcess.StartAsync(request.ShimArgv, request.ShimLog, null, cancellationToken);
        return new SpawnedWorker("background", request.ShimLog);
    }
}
