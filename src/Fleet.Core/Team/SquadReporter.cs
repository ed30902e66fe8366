using System.Globalization;
using System.Text.Json;
using Fleet.Forge;
using Fleet.Retro;
using Fleet.Reviews;
using Fleet.State;

namespace Fleet.Team;

/// <summary>
/// Makes a squad's verdicts durable on its pull request: for each iteration the reviewer judged, the SDET's report as a
/// comment, the review as an approval or a change request, and the <c>Fleet-Verdict</c> trailer in the body; when the
/// squad ends, the productivity engineer's engagement log (gates, stalls, rework) as a comment. Each is posted once:
/// a marker under <c>.fleet/team-posted/</c> records it.
/// </summary>
public static class SquadReporter
{
    public static string PostedDir(string squadRoot) => Path.Combine(squadRoot, ".fleet", "team-posted");

    private static string PostedFile(string squadRoot, string name) => Path.Combine(PostedDir(squadRoot), name + ".json");

    /// <returns>The verdicts posted by this call.</returns>
    /// <param name="state">The squad's run as its journal has it now.</param>
    public static async Task<IReadOnlyList<PostedRecord>> PostNewVerdictsAsync(string squadRoot, RunState state, IForge forge, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(forge);
        ArgumentNullException.ThrowIfNull(time);
        var layout = new FleetLayout(squadRoot);
        SquadDefinition? squad = null;
        var posted = new List<PostedRecord>();
        foreach (var verdict in state.Verdicts.OrderBy(v => v.Iteration))
        {
            var marker = PostedFile(squadRoot, verdict.Iteration.ToString(CultureInfo.InvariantCulture));
            if (File.Exists(marker))
            {
                continue;
            }

            var publish = SquadPublisher.LatestUpTo(squadRoot, verdict.Iteration);
            if (publish is null)
            {
                continue; // No pull request yet (the publish worker failed): there is nothing to post on.
            }

            squad ??= SquadDefinition.Load(squadRoot);

            var head = publish.Iteration == verdict.Iteration ? publish.Head : null;
            var shortHead = head is null ? "no new head" : $"head {head[..Math.Min(12, head.Length)]}";
            // Each post has a marker of its own, written as soon as the forge took it: a poster stopped between two posts
            // (the team orchestrator killed) goes on with the next one when it runs again, never repeating one.
            var iteration = verdict.Iteration.ToString(CultureInfo.InvariantCulture);
            var sdetPosted = PostedFile(squadRoot, iteration + ".sdet");
            if (!File.Exists(sdetPosted))
            {
                var sdetFile = Path.Combine(squadRoot, SquadFleet.SdetReport(verdict.Iteration));
                var sdet = File.Exists(sdetFile)
                    ? (await File.ReadAllTextAsync(sdetFile, cancellationToken)).Trim()
                    : $"(the SDET wrote no report: {SquadFleet.SdetReport(verdict.Iteration)} is missing)";
                await forge.CommentOnPullRequestAsync(publish.PullRequest,
                    $"**SDET report, iteration {verdict.Iteration}** ({squad.Sdet.Name()}, {shortHead})\n\n{sdet}\n", cancellationToken);
                Mark(sdetPosted);
            }

            var reviewPosted = PostedFile(squadRoot, iteration + ".review");
            if (!File.Exists(reviewPosted))
            {
                var reviewFile = layout.ReviewFile(verdict.Iteration);
                var review = File.Exists(reviewFile) ? (await File.ReadAllTextAsync(reviewFile, cancellationToken)).Trim() : $"(no review file: {verdict.Reason})";
                var approve = verdict.Verdict == ReviewVerdicts.Lgtm;
                await forge.ReviewPullRequestAsync(publish.PullRequest, approve ? ReviewState.Approved : ReviewState.ChangesRequested,
                    $"**Fleet review, iteration {verdict.Iteration}: verdict {verdict.Verdict}** (adversarial reviewer {squad.Reviewer.Name()}, {shortHead})\n\n{review}\n", cancellationToken);
                Mark(reviewPosted);
            }

            var pr = await forge.GetPullRequestAsync(publish.PullRequest, cancellationToken);
            var trailer = new VerdictTrailer(verdict.Verdict, squad.Reviewer.Name(), verdict.Iteration, head);
            await forge.EditPullRequestBodyAsync(publish.PullRequest, trailer.ApplyTo(pr.Body), cancellationToken);

            var record = new PostedRecord(verdict.Iteration, verdict.Verdict, publish.PullRequest, head, time.GetUtcNow());
            Directory.CreateDirectory(PostedDir(squadRoot));
            Doctrine.DoctrineFiles.WriteAtomic(marker, JsonSerializer.Serialize(record, TeamJsonContext.Default.PostedRecord) + "\n");
            posted.Add(record);
        }

        return posted;
    }

    private static void Mark(string marker)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        Doctrine.DoctrineFiles.WriteAtomic(marker, "{\"posted\":true}\n");
    }

    /// <summary>The productivity engineer's report, once the squad's run has ended: its retro, on the pull request.</summary>
    public static async Task<bool> PostEngagementLogAsync(string squadRoot, RunState state, IForge forge, TimeSpan stallAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(forge);
        var marker = PostedFile(squadRoot, "engagement");
        var pr = SquadPublisher.LatestUpTo(squadRoot, state.Iteration);
        if (File.Exists(marker) || pr is null)
        {
            return false;
        }

        var retro = RetroReport.Build(squadRoot, null, stallAfter);
        await forge.CommentOnPullRequestAsync(pr.PullRequest,
            "**Engagement log** (fleet's productivity engineer: this squad's gates, stalls and rework)\n\n" + RetroReport.Markdown(retro), cancellationToken);
        Directory.CreateDirectory(PostedDir(squadRoot));
        Doctrine.DoctrineFiles.WriteAtomic(marker, "{\"posted\":true}\n");
        return true;
    }
}
