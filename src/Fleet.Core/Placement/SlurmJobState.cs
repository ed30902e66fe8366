namespace Fleet.Placement;

/// <summary>What a Slurm job's state means for its worker.</summary>
public enum JobPhase
{
    /// <summary>Waiting for a node: the worker has not started, and nothing is wrong.</summary>
    Queued,

    /// <summary>On a node: the shim is alive (its liveness is the job's, not a /proc entry).</summary>
    Running,

    /// <summary>Ended normally: the shim's exit.json is the outcome.</summary>
    Completed,

    /// <summary>Ended by Slurm or the node (NODE_FAIL, CANCELLED, TIMEOUT …): without an exit.json, this is the worker's failed outcome.</summary>
    Failed,

    /// <summary>Slurm no longer knows the job (purged, or the controller is unreachable): the shared files decide.</summary>
    Unknown,
}

/// <summary>One job as <c>squeue</c> reports it.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="State">The job state in capitals, e.g. <c>PENDING</c>, <c>NODE_FAIL</c>.</param>
/// <param name="Reason">The reason squeue gives (<c>Priority</c>, <c>Resources</c>, <c>None</c>).</param>
/// <param name="Node">The node list (empty while queued).</param>
/// <param name="Name">The job name.</param>
/// <param name="Comment">The job's comment: fleet puts <c>fleet-root:ROOT</c> there.</param>
public sealed record SlurmJobInfo(string JobId, string State, string Reason, string Node, string Name, string Comment = "");

/// <summary>A job state seen as a worker's state: its phase, the reason of a failure, and a line for status.</summary>
public sealed record JobView(JobPhase Phase, string? FailureReason, string Display)
{
    public bool Alive => Phase is JobPhase.Queued or JobPhase.Running;
}

/// <summary>Maps a Slurm job state to a worker's state. Pure; table-tested.</summary>
public static class SlurmJobStates
{
    private static readonly HashSet<string> QueuedStates = new(StringComparer.Ordinal) { "PENDING", "CONFIGURING", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD" };

    private static readonly HashSet<string> RunningStates = new(StringComparer.Ordinal) { "RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "SUSPENDED", "STOPPED", "RESIZING" };

    private static readonly Dictionary<string, string> FailedStates = new(StringComparer.Ordinal)
    {
        ["NODE_FAIL"] = "its node failed",
        ["BOOT_FAIL"] = "its node failed to boot",
        ["CANCELLED"] = "the job was cancelled",
        ["TIMEOUT"] = "the job reached its time limit",
        ["DEADLINE"] = "the job reached its deadline",
        ["OUT_OF_MEMORY"] = "the job ran out of memory",
        ["PREEMPTED"] = "the job was preempted",
        ["FAILED"] = "the job's shim ended without an outcome",
        ["REVOKED"] = "the job was revoked",
        ["SPECIAL_EXIT"] = "the job ended in a special exit",
        ["REQUEUED"] = "Slurm requeued the job",
    };

    /// <summary>The worker's view of a job; <paramref name="job"/> null: Slurm does not know it (any more).</summary>
    public static JobView Map(SlurmJobInfo? job, string? jobId = null)
    {
        if (job is null)
        {
            return new JobView(JobPhase.Unknown, null, jobId is null ? "slurm: no job" : $"slurm job {jobId}: not known to squeue");
        }

        // squeue appends a "+" to a state with more flags (CANCELLED by 0 shows as CANCELLED); take the word.
        var state = job.State.Split(' ', '+')[0].ToUpperInvariant();
        var node = string.IsNullOrEmpty(job.Node) || job.Node == "(null)" ? null : job.Node;
        if (QueuedStates.Contains(state))
        {
            var reason = string.IsNullOrEmpty(job.Reason) || job.Reason == "None" ? "waiting" : job.Reason;
            return new JobView(JobPhase.Queued, null, $"queued on slurm: {reason} (job {job.JobId})");
        }

        if (RunningStates.Contains(state))
        {
            return new JobView(JobPhase.Running, null, $"slurm job {job.JobId} {state.ToLowerInvariant()} on {node ?? "a node"}");
        }

        if (state == "COMPLETED")
        {
            return new JobView(JobPhase.Completed, null, $"slurm job {job.JobId} completed on {node ?? "its node"}");
        }

        if (FailedStates.TryGetValue(state, out var meaning))
        {
            var where = node is null ? "" : $" on {node}";
            var reason = string.IsNullOrEmpty(job.Reason) || job.Reason == "None" ? "" : $", reason {job.Reason}";
            return new JobView(JobPhase.Failed, $"slurm: job {job.JobId} {state}{where}{reason}: {meaning}; never requeued", $"slurm job {job.JobId} {state}{where}");
        }

        return new JobView(JobPhase.Unknown, null, $"slurm job {job.JobId}: state {job.State}");
    }

    /// <summary>squeue's output format for <see cref="ParseSqueue"/>.</summary>
    public const string SqueueFormat = "%i|%T|%r|%N|%j|%k";

    /// <summary>Parses <c>squeue -h -o SqueueFormat</c> lines (the comment last: it may hold anything); lines that do not fit are skipped.</summary>
    public static IReadOnlyList<SlurmJobInfo> ParseSqueue(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var jobs = new List<SlurmJobInfo>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split('|', 6);
            if (fields.Length >= 5 && fields[0].Length > 0)
            {
                jobs.Add(new SlurmJobInfo(fields[0], fields[1], fields[2], fields[3], fields[4], fields.Length == 6 ? fields[5] : ""));
            }
        }

        return jobs;
    }
}
