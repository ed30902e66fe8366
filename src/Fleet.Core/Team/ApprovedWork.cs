using Fleet.Forge;
using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>
/// Where a squad starts: its branch is made from <see cref="From"/>, then <see cref="MergeIn"/> are merged into it, and its
/// pull request targets <see cref="PullRequestBase"/>.
/// </summary>
public sealed record SquadStart(string From, string PullRequestBase, IReadOnlyList<string> MergeIn);

/// <summary>The pure decision of where an issue that needs others starts: from their approved work, merged or not.</summary>
public static class Stacking
{
    /// <summary>
    /// <paramref name="unmergedNeeded"/>: the branches of the approved squads the issue needs whose pull requests are not
    /// merged (in order of issue). None: the base (with <c>--merge</c> the needed work is in it). One: stacked on it, the
    /// pull request based on it. More: stacked on the first, the others merged in.
    /// </summary>
    public static SquadStart For(string baseBranch, IReadOnlyList<string> unmergedNeeded)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseBranch);
        ArgumentNullException.ThrowIfNull(unmergedNeeded);
        var needed = unmergedNeeded.Distinct(StringComparer.Ordinal).ToList();
        return needed.Count == 0 ? new SquadStart(baseBranch, baseBranch, []) : new SquadStart(needed[0], needed[0], [.. needed.Skip(1)]);
    }
}

/// <summary>
/// A team run's approved work between waves: which squad branch holds each issue, which pull requests were merged
/// (<c>team run --merge</c>), and from that where the next wave's squads start.
/// </summary>
public sealed class ApprovedWork(string repository, string baseBranch, ForgeSettingsRecord forgeSettings, IForge forge, GitCli git, Action<string> say)
{
    private readonly Dictionary<int, string> _branchOf = [];
    private readonly HashSet<int> _merged = [];

    /// <summary>Every issue the squad does (its own and the bundled ones) is on its branch.</summary>
    public void Started(RunIssue issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        foreach (var number in issue.AllNumbers)
        {
            _branchOf[number] = TeamLayout.Branch(issue.Number);
        }
    }

    public bool IsMerged(int issue) => _merged.Contains(issue);

    /// <summary>Where <paramref name="issue"/>'s squad starts, given the outcomes so far.</summary>
    public SquadStart StartFor(RunIssue issue, IReadOnlyDictionary<int, SquadOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(issue);
        ArgumentNullException.ThrowIfNull(outcomes);
        var unmerged = issue.AllNeeds
            .Where(n => outcomes.TryGetValue(n, out var o) && o.Status == SquadStatus.Approved && !_merged.Contains(n) && _branchOf.ContainsKey(n))
            .Order().Select(n => _branchOf[n]).ToList();
        return Stacking.For(baseBranch, unmerged);
    }

    /// <summary>Makes the squad's worktree start where <paramref name="start"/> says (from it, the others merged in).</summary>
    public static async Task<string> PrepareWorktreeAsync(TeamLayout layout, RunIssue issue, SquadStart start, GitCli git, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(issue);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(git);
        var worktree = await new SquadWorktree(git).EnsureAsync(layout, issue.Number, start.From, cancellationToken);
        foreach (var branch in start.MergeIn)
        {
            var merged = await git.RunAsync(worktree, ["-c", "user.name=fleet", "-c", "user.email=fleet@fleet.invalid", "merge", "--no-edit", "--no-ff", branch], cancellationToken);
            if (!merged.Succeeded)
            {
                await git.RunAsync(worktree, ["merge", "--abort"], cancellationToken);
                throw new TeamException($"#{issue.Number} needs {string.Join(" and ", [start.From, .. start.MergeIn])}, which do not merge cleanly ({branch}): merge their pull requests first (fleet team merge), then run it again");
            }
        }

        return worktree;
    }

    /// <summary>
    /// <c>team run --merge</c>: merges each approved pull request of the wave by <c>team merge</c>'s rules (lgtm at the current
    /// head, checks green), so the next wave starts from them; a refused one stays open and its dependents stack on it.
    /// </summary>
    public async Task MergeApprovedAsync(IReadOnlyList<SquadOutcome> wave, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wave);
        var any = false;
        foreach (var group in wave.Where(o => o.Status == SquadStatus.Approved && o.PullRequest is not null).GroupBy(o => o.PullRequest!.Value))
        {
            MergeDecision decision;
            try
            {
                decision = await TeamMerger.DecideAndMergeAsync(forge, group.Key, dryRun: false, cancellationToken);
            }
            catch (ForgeException e)
            {
                say($"  pull request #{group.Key} not merged: {e.Message}; what needs it stacks on its branch");
                continue;
            }

            say($"  pull request #{group.Key} {decision.Action}: {decision.Reason}");
            if (!decision.Refused)
            {
                any = true;
                _merged.UnionWith(group.Select(o => o.Issue));
            }
        }

        if (any && forgeSettings.Kind == ForgeSettingsRecord.GitHub)
        {
            await UpdateBaseFromOriginAsync(cancellationToken);
        }
    }

    /// <summary>GitHub merged on its side: the local base branch, which new worktrees start from, is brought up to origin's.</summary>
    private async Task UpdateBaseFromOriginAsync(CancellationToken cancellationToken)
    {
        await git.RunCheckedAsync(repository, ["fetch", "--quiet", "origin", baseBranch], cancellationToken);
        var current = await git.RunAsync(repository, ["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken);
        if (current.Succeeded && current.Stdout.Trim() == baseBranch)
        {
            await git.RunCheckedAsync(repository, ["merge", "--quiet", "--ff-only", "FETCH_HEAD"], cancellationToken);
        }
        else
        {
            await git.RunCheckedAsync(repository, ["update-ref", $"refs/heads/{baseBranch}", "FETCH_HEAD"], cancellationToken);
        }
    }
}
