using System.Globalization;
using Fleet.Placement;

namespace Fleet.Workers;

/// <summary>
/// The one answer to "is this worker's shim still there" outside the orchestrator (status, ls, the inbox, kill's
/// preview, say). A local shim is a process of this machine: its /proc entry decides. A slurm worker's shim runs on
/// a node, where this machine's /proc says nothing: its job's state decides (one squeue answer for every worker), and
/// without one the shared files do (alive until its exit record is written; the orchestrator writes one for a job
/// Slurm ended).
/// </summary>
public sealed class ShimLiveness
{
    private readonly IReadOnlyList<SlurmJobInfo>? _queue;

    private ShimLiveness(IReadOnlyList<SlurmJobInfo>? queue)
    {
        _queue = queue;
    }

    /// <summary>No squeue answer: a remote shim is alive until its exit record is there.</summary>
    public static ShimLiveness FilesOnly { get; } = new(null);

    /// <summary>Liveness from one squeue answer (null: squeue did not answer, so the files decide).</summary>
    public static ShimLiveness FromQueue(IReadOnlyList<SlurmJobInfo>? queue) => new(queue);

    /// <summary>Asks squeue once when any of the roots has a slurm job record; otherwise asks nothing.</summary>
    public static async Task<ShimLiveness> ReadAsync(IEnumerable<string> roots, SlurmClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(client);
        return roots.Any(HasSlurmJobs) ? FromQueue(await client.QueueAsync(cancellationToken)) : FilesOnly;
    }

    /// <summary>True when squeue answered, so job states (not only files) decide.</summary>
    public bool KnowsJobs => _queue is not null;

    /// <summary>A root that ever submitted a slurm job (a record <c>iterations/N/*.slurm.json</c>).</summary>
    public static bool HasSlurmJobs(string root)
    {
        var iterations = Path.Combine(root, "iterations");
        try
        {
            return Directory.Exists(iterations) && Directory.EnumerateFiles(iterations, "*.slurm.json", SearchOption.AllDirectories).Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The slurm job that runs the claim's shim (from the spawner's record for its attempt), or null for a local shim.</summary>
    public static string? SlurmJobOf(string iterationDir, string worker, WorkerClaim? claim)
    {
        var suffix = claim?.Attempt is > 1 and var attempt ? string.Create(CultureInfo.InvariantCulture, $".attempt-{attempt}") : string.Empty;
        return SlurmJobRecord.TryRead(Path.Combine(iterationDir, worker + suffix + ".slurm.json"))?.JobId;
    }

    /// <summary>The job's view (queued, running on a node, ended), or null when squeue did not answer.</summary>
    public JobView? Job(string jobId) => _queue is null ? null : SlurmJobStates.Map(_queue.FirstOrDefault(j => j.JobId == jobId), jobId);

    /// <summary>Whether the worker's shim (or its agent) still runs.</summary>
    public bool IsAlive(string iterationDir, string worker, WorkerClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (SlurmJobOf(iterationDir, worker, claim) is not { } jobId)
        {
            return claim.Agent?.IsAlive == true || claim.Shim.IsAlive;
        }

        // A shim writes its exit record before it ends; the job may stay COMPLETING a while after.
        var ended = claim.Exit is not null || File.Exists(WorkerFiles.For(iterationDir, worker).ExitJson);
        return !ended && (Job(jobId)?.Alive ?? true);
    }
}
