using System.Globalization;
using System.Text;
using Fleet.Reviews;
using Fleet.Spec;
using Fleet.State;

namespace Fleet.Orchestration;

/// <summary>What fleet adds to a worker's brief: the reviewer's verdict instructions, a builder's fixes from the last review.</summary>
public static class Briefs
{
    /// <summary>Appended to the reviewer's brief at every iteration, so a user never has to paste any of it.</summary>
    public static string ForReviewer(ResolvedFleet fleet, ResolvedWorker reviewer, int iteration, RunState state, FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(reviewer);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(layout);
        var text = new StringBuilder();
        text.AppendLine("## Your verdict (instructions from fleet)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Write your review to {layout.ReviewFile(iteration)} (create the file).");
        text.AppendLine("It must contain exactly one verdict line, alone on its line, one of:");
        text.AppendLine("verdict: lgtm");
        text.AppendLine("verdict: iterate");
        text.AppendLine("verdict: escalate");
        text.AppendLine("Use lgtm only when the work is complete and correct. Use iterate when something must change: for each worker that must");
        text.AppendLine("change something, add a section headed `## <worker id>` with actionable fixes: the file, the function, what to change.");
        text.AppendLine("Use escalate only when a person must decide; say why right below the verdict line.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"This iteration's workers (iteration {iteration}):");
        foreach (var worker in fleet.Workers.Where(w => w.Id != reviewer.Id))
        {
            var ws = state.Worker(worker.Id, iteration);
            var outcome = ws.Status switch
            {
                WorkerStatus.Succeeded => "succeeded",
                WorkerStatus.Skipped => $"skipped: {ws.Reason}",
                WorkerStatus.Pending or WorkerStatus.Started => "has not finished",
                _ => $"{ws.Status.ToString().ToLowerInvariant()}: {ws.Reason ?? "no reason recorded"}",
            };
            text.AppendLine(CultureInfo.InvariantCulture, $"- {worker.Id} ({outcome}); its stream: {layout.LogFile(iteration, worker.Id)}");
        }

        if (iteration > 1 && File.Exists(layout.ReviewFile(iteration - 1)))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Your previous review is {layout.ReviewFile(iteration - 1)}: check that its fixes were made.");
        }

        return text.ToString();
    }

    /// <summary>From iteration 2: the previous review's section for this worker (or the whole review when it has none).</summary>
    public static string? ForCodeRun(ResolvedWorker worker, int iteration, FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(layout);
        if (iteration < 2 || !File.Exists(layout.ReviewFile(iteration - 1)))
        {
            return null;
        }

        var review = File.ReadAllText(layout.ReviewFile(iteration - 1));
        var section = ReviewVerdicts.SectionFor(review, worker.Id);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## The reviewer's fixes for you, from iteration {iteration - 1}");
        text.AppendLine();
        text.AppendLine(section ?? review.Trim());
        return text.ToString();
    }
}
