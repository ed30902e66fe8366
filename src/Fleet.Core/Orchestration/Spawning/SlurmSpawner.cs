using Fleet.Paths;
using Fleet.Placement;
using Fleet.Spec;

namespace Fleet.Orchestration.Spawning;

/// <summary>
/// Starts a slurm worker's shim as a batch job (<see cref="SlurmJob.SbatchArgv"/>) on a node that shares the fleet root.
/// A submission is recorded in <c>iterations/N/&lt;id&gt;.slurm.json</c> as soon as sbatch answers, and a job of the same
/// name and root that Slurm still holds is adopted instead of submitted again, so a restarted orchestrator never
/// submits a (worker, iteration) twice; the claim still keeps the agent from ever starting twice.
/// </summary>
public sealed class SlurmSpawner : IWorkerSpawner
{
    private readonly ResolvedFleet _fleet;
    private readonly IReadOnlyList<string> _fleetCommand;
    private readonly SlurmClient _client;
    private readonly TimeProvider _time;

    /// <param name="fleet">The fleet, for each worker's sbatch settings.</param>
    /// <param name="fleetCommand">The launching fleet's command, which <see cref="SpawnRequest.ShimArgv"/> starts with.</param>
    /// <param name="client">The Slurm commands.</param>
    /// <param name="time">Time for the record.</param>
    public SlurmSpawner(ResolvedFleet fleet, IReadOnlyList<string> fleetCommand, SlurmClient client, TimeProvider? time = null)
    {
        _fleet = fleet;
        _fleetCommand = fleetCommand;
        _client = client;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The record beside a shim log: <c>&lt;id&gt;[.attempt-k].slurm.json</c>.</summary>
    public static string RecordFor(string shimLog) =>
        shimLog.EndsWith(".shim.log", StringComparison.Ordinal) ? shimLog[..^".shim.log".Length] + ".slurm.json" : shimLog + ".slurm.json";

    public async Task<SpawnedWorker> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var recordFile = RecordFor(request.ShimLog);
        if (SlurmJobRecord.TryRead(recordFile) is { } submitted)
        {
            return new SpawnedWorker("slurm", $"job {submitted.JobId} (submitted before)");
        }

        var name = SlurmJob.Name(_fleet.Name, request.Worker, request.Iteration);
        var comment = $"fleet-root:{request.Root}";
        try
        {
            var queue = await _client.QueueAsync(cancellationToken);
            if (queue?.FirstOrDefault(j => j.Name == name && j.Comment == comment && SlurmJobStates.Map(j).Alive) is { } alive)
            {
                // Submitted by an orchestrator that died before it wrote the record.
                new SlurmJobRecord { JobId = alive.JobId, JobName = name, SubmittedAt = _time.GetUtcNow() }.Write(recordFile);
                return new SpawnedWorker("slurm", $"job {alive.JobId} (adopted)");
            }

            var settings = _fleet.Worker(request.Worker).Slurm ?? SlurmSettings.Default;
            var script = SlurmJob.ScriptPath(request.Root);
            if (!File.Exists(script) || await File.ReadAllTextAsync(script, cancellationToken) != SlurmJob.Script)
            {
                PrivateFiles.CreateDirectoryFor(script);
                PrivateFiles.Replace(script, System.Text.Encoding.UTF8.GetBytes(SlurmJob.Script));
            }

            var own = request.ShimArgv.Take(_fleetCommand.Count).SequenceEqual(_fleetCommand) ? _fleetCommand.Count : 0;
            IReadOnlyList<string> shim = [.. SlurmJob.FleetCommand(settings, request.Root, _fleetCommand), .. request.ShimArgv.Skip(own)];
            var argv = SlurmJob.SbatchArgv(_fleet.Name, request.Root, request.Worker, request.Iteration, settings, request.ShimLog, shim);
            var id = await _client.SubmitAsync(argv, cancellationToken);
            new SlurmJobRecord { JobId = id, JobName = name, SubmittedAt = _time.GetUtcNow() }.Write(recordFile);
            return new SpawnedWorker("slurm", $"job {id}");
        }
        catch (Exception e) when (e is SlurmCommandException or IOException or UnauthorizedAccessException)
        {
            throw new WorkerSpawnException($"cannot submit worker {request.Worker} to slurm: {e.Message}", e);
        }
    }
}
