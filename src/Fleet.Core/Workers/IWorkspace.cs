using Fleet.Spec;

namespace Fleet.Workers;

/// <summary>Where a worker runs and what happens to its work when it ends (worktree fleets commit it).</summary>
public interface IWorkspace
{
    Task<string> PrepareAsync(ResolvedWorker worker, int iteration, CancellationToken cancellationToken);

    Task FinishAsync(ResolvedWorker worker, int iteration, WorkerExitRecord record, CancellationToken cancellationToken);
}
