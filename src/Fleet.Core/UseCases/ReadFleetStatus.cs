using Fleet.Orchestration;
using Fleet.State;
using Fleet.Workers;

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
        ArgumentNullException.ThrowIfNull(request);
        // Slurm workers: their liveness and their job's id, node and queue state, from one squeue call (only when the run has slurm jobs).
        var liveness = await ShimLiveness.ReadAsync([request.Root], new Placement.SlurmClient(host.Time), cancellationToken);
        var result = await ReadAsync(request, liveness, cancellationToken);
        return result with { Status = SlurmStatus.AddJobs(result.Status, liveness) };
    }

    private Task<ReadFleetStatusResult> ReadAsync(ReadFleetStatusRequest request, ShimLiveness liveness, CancellationToken cancellationToken)
    {
        return Task.Run(() =>
        {
            var layout = FleetRoots.Existing(request.Root, request.DisplayRoot);
            if (!File.Exists(layout.FleetFile) && !Directory.Exists(layout.StateDir))
            {
                throw new FleetOperationException($"{request.DisplayRoot}: no fleet here: no fleet.json and no run (create one with: fleet init {request.DisplayRoot})");
            }

            return new ReadFleetStatusResult(FleetStatus.Read(layout.Root, host.Time, liveness));
        }, cancellationToken);
    }

    /// <summary>Every registered fleet, in the registry's order.</summary>
    public async Task<IReadOnlyList<ListedFleet>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = new FleetRegistry(host.UserDirs).List();
        var liveness = await ShimLiveness.ReadAsync(entries.Select(e => e.Root), new Placement.SlurmClient(host.Time), cancellationToken);
        return await Task.Run<IReadOnlyList<ListedFleet>>(() => [.. entries
            .Select(e => new ListedFleet(e, Directory.Exists(e.Root) ? SlurmStatus.AddJobs(FleetStatus.Read(e.Root, host.Time, liveness), liveness) : null))], cancellationToken);
    }
}
