using System.Globalization;
using Fleet.Spec;
using Fleet.Workers;

namespace Fleet.Worktrees;

/// <summary>
/// A worktree fleet's workspace: each worker runs in its own git worktree on branch
/// <c>fleet/&lt;fleet&gt;/&lt;worker&gt;</c>, and what it leaves is committed there when it ends, so the branch
/// holds the worker's work. Nothing is ever deleted here; <c>fleet clean</c> removes merged, clean worktrees.
/// </summary>
public sealed class WorktreeWorkspace(ResolvedFleet fleet, WorktreeManager? manager = null) : IWorkspace
{
    public static readonly GitIdentity Author = new("fleet", "fleet@fleet.invalid");

    private readonly WorktreeManager _manager = manager ?? new WorktreeManager();

    public Task<string> PrepareAsync(ResolvedWorker worker, int iteration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return _manager.EnsureAsync(fleet.Root, fleet.Name, worker.Id, baseRef: null, cancellationToken);
    }

    public async Task FinishAsync(ResolvedWorker worker, int iteration, WorkerExitRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(record);

        // Ensure is idempotent: it finds the worker's worktree again, also after an orchestrator restart.
        var worktree = await _manager.EnsureAsync(fleet.Root, fleet.Name, worker.Id, baseRef: null, cancellationToken);
        var message = string.Create(CultureInfo.InvariantCulture, $"fleet: {worker.Id}, iteration {iteration} ({record.Outcome.ToString().ToLowerInvariant()})");
        await _manager.FinishAsync(worktree, message, Author, cancellationToken);
    }
}
