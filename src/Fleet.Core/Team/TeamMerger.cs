using Fleet.Forge;
using Fleet.Reviews;

namespace Fleet.Team;

/// <summary>What <c>fleet team merge</c> did with one pull request: <see cref="Action"/> is merged, would merge (a dry run) or refused.</summary>
public sealed record MergeDecision(int PullRequest, string Url, string Action, string Reason)
{
    public const string MergedAction = "merged";
    public const string WouldMergeAction = "would merge";
    public const string RefusedAction = "refused";

    public bool Refused => Action == RefusedAction;
}

/// <summary>
/// Merges only pull requests whose latest recorded verdict is <c>lgtm</c> for their current head commit; refuses the
/// rest, saying why. An approval given to an earlier head covers nothing that came after it.
/// </summary>
public static class TeamMerger
{
    public static async Task<MergeDecision> DecideAndMergeAsync(IForge forge, int number, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forge);
        var pr = await forge.GetPullRequestAsync(number, cancellationToken);
        var refusal = Refusal(pr);
        if (refusal is null)
        {
            refusal = ChecksRefusal(pr, ChecksGate.Judge(await forge.GetChecksAsync(number, cancellationToken)));
        }

        if (refusal is not null)
        {
            return new MergeDecision(number, pr.Url, MergeDecision.RefusedAction, refusal);
        }

        var trailer = VerdictTrailer.Parse(pr.Body)!;
        var retargeted = "";
        if (!dryRun)
        {
            await forge.MergePullRequestAsync(number, pr.HeadSha!, cancellationToken);

            // Pull requests stacked on this one's branch now go to the branch it merged into.
            var moves = Retargets(await forge.ListOpenPullRequestsAsync(cancellationToken), pr);
            foreach (var (stacked, newBase) in moves)
            {
                await forge.SetPullRequestBaseAsync(stacked, newBase, cancellationToken);
            }

            retargeted = moves.Count == 0 ? "" : $"; {string.Join(", ", moves.Select(m => $"#{m.PullRequest}"))} now based on {pr.BaseBranch}";
        }

        return new MergeDecision(number, pr.Url, dryRun ? MergeDecision.WouldMergeAction : MergeDecision.MergedAction,
            $"verdict lgtm from {trailer.Reviewer} at iteration {trailer.Iteration} for head {Short(pr.HeadSha!)}, checks green{retargeted}");
    }

    /// <summary>Why the checks at the pull request's head forbid a merge, or null when they are green (or there are none).</summary>
    public static string? ChecksRefusal(ForgePullRequest pr, ChecksVerdict checks)
    {
        ArgumentNullException.ThrowIfNull(pr);
        ArgumentNullException.ThrowIfNull(checks);
        return checks.IsGreen ? null : $"its checks at head {Short(pr.HeadSha ?? "?")} are not green: {checks.Summary}";
    }

    /// <summary>The open pull requests based on <paramref name="merged"/>'s branch, each with the base it moves to: the branch <paramref name="merged"/> went into.</summary>
    public static IReadOnlyList<(int PullRequest, string NewBase)> Retargets(IReadOnlyList<ForgePullRequest> open, ForgePullRequest merged)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(merged);
        return [.. open.Where(p => p.Number != merged.Number && p.BaseBranch == merged.HeadBranch).OrderBy(p => p.Number).Select(p => (p.Number, merged.BaseBranch))];
    }

    /// <summary>Why this pull request may not be merged, or null when it may.</summary>
    public static string? Refusal(ForgePullRequest pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        if (!string.Equals(pr.State, "open", StringComparison.OrdinalIgnoreCase))
        {
            return $"it is {pr.State.ToLowerInvariant()}, not open";
        }

        if (VerdictTrailer.Parse(pr.Body) is not { } trailer)
        {
            return $"no verdict recorded: its body has no {VerdictTrailer.Key} line";
        }

        if (trailer.Verdict != ReviewVerdicts.Lgtm)
        {
            return $"the latest verdict is {trailer.Verdict} (iteration {trailer.Iteration}, {trailer.Reviewer}), not lgtm";
        }

        if (trailer.Head is null || pr.HeadSha is null)
        {
            return "the approval does not say which commit it covers";
        }

        if (!string.Equals(trailer.Head, pr.HeadSha, StringComparison.OrdinalIgnoreCase))
        {
            return $"approved at {Short(trailer.Head)} but its head is now {Short(pr.HeadSha)}: the commits after the approval were not reviewed";
        }

        return null;
    }

    private static string Short(string sha) => sha[..Math.Min(12, sha.Length)];
}
