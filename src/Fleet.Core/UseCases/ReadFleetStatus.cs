using Fleet.Orchestration;
using Fleet.State;

namespace Fleet.UseCases;

/// <param name="Root">The fleet root, absolute.</param>
/// <param name="DisplayRoot">The root as the person gave it, for messages.</param>
public sealed record ReadFleetStatusRequest(string Root, string DisplayRoot);

public sealed record ReadFleetStatusResult(FleetStatus Status);

/// <summary>One fleet of the user's list: where it stands, or null when its folder is gone.</summary>
public sealed record ListedFleet(RegistryEntry Entry, FleetStatus? Status);

/// <summary>
/// <c>fleet status</c> and <c>fleet ls</c>: where a fleet stands, from its journal and files alone, so it works without
/// the orchestrator; and every fleet this user launched on this machine.
/// </summary>
public sealed class ReadFleetStatus(FleetHost host)
{
    // The reads are synchronous file reads: on the thread pool, so a front end serving many callers is not held up.
    public async Task<ReadFleetStatusResult> RunAsync(ReadFleetStatusRequest request, CancellationToken cancellationToken)
    {
        var result = await ReadAsync(request, cancellationToken);
        // Slurm workers: their job's id, node and queue state, from one squeue call (only when the run has slurm jobs).
        return result with { Status = await Orchestration.SlurmStatus.AddJobsAsync(result.Status, new Placement.SlurmClient(host.Time), cancellationToken) };
    }

    private Task<ReadFleetStatusResult> ReadAsync(ReadFleetStatusRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() =>
        {
            var layout = FleetRoots.Existing(request.Root, request.DisplayRoot);
            if (!File.Exists(layout.FleetFile) && !Directory.Exists(layout.StateDir))
            {
                throw new FleetOperationException($"{request.DisplayRoot}: no fleet here: no fleet.json and no run (create one with: fleet init {request.DisplayRoot})");
            }

            return new ReadFleetStatusResult(FleetStatus.Read(layout.Root, host.Time));
        }, cancellationToken);
    }

    /// <summary>Every registered fleet, in the registry's order.</summary>
    public Task<IReadOnlyList<ListedFleet>> ListAsync(CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<ListedFleet>>(() => [.. new FleetRegistry(host.UserDirs).List()
            .Select(e => new ListedFleet(e, Directory.Exists(e.Root) ? FleetStatus.Read(e.Root, host.Time) : null))], cancellationToken);
}
