using Fleet.Placement;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>Adds each started slurm worker's job (id, node, queue state) to a status, from the squeue answer its liveness was read with.</summary>
public static class SlurmStatus
{
    public static FleetStatus AddJobs(FleetStatus status, ShimLiveness liveness)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(liveness);
        var layout = new FleetLayout(status.Root);
        var dir = layout.IterationDir(Math.Max(1, status.Iteration));
        var records = status.Workers
            .Select(w => (Line: w, Record: SlurmJobRecord.TryRead(SlurmJob.RecordPath(dir, w.Worker))))
            .ToList();
        if (records.All(r => r.Record is null))
        {
            return status;
        }

        var lines = records.Select(r =>
        {
            if (r.Record is not { } record)
            {
                return r.Line;
            }

            var view = liveness.Job(record.JobId);
            var text = Describe(view, record.JobId, WorkerClaim.TryRead(dir, r.Line.Worker)?.SlurmNode);
            var queued = view?.Phase == JobPhase.Queued && r.Line.State == "starting";
            return r.Line with { Slurm = text, State = queued ? "queued" : r.Line.State };
        }).ToList();
        return status with { Workers = lines };
    }

    /// <summary>
    /// A slurm worker's line in status: the job as squeue sees it, and the node from the worker's claim when squeue
    /// does not say (it forgets an ended job after MinJobAge, or does not answer). <paramref name="view"/> null: no answer.
    /// </summary>
    public static string Describe(JobView? view, string jobId, string? node) => view switch
    {
        null => $"slurm job {jobId}{(node is null ? "" : $" on {node}")} (squeue did not answer)",
        { Phase: JobPhase.Unknown } when node is not null => $"{view.Display} (ran on {node})",
        _ => view.Display,
    };
}
