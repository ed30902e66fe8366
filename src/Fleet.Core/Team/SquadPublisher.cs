using System.Globalization;
using System.Text.Json;
using Fleet.Forge;
using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>
/// The squad's <c>publish</c> worker, between the developer and the SDET: commits whatever the developer left
/// uncommitted (nothing is lost), requires at least one commit ahead of the base, pushes (GitHub), and opens the pull
/// request with <c>Closes #n</c> the first time — later iterations only move its head.
/// </summary>
public static class SquadPublisher
{
    public static async Task<PublishRecord> PublishAsync(string squadRoot, int iteration, IForge forge, GitCli git, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forge);
        ArgumentNullException.ThrowIfNull(git);
        var squad = SquadDefinition.Load(squadRoot);
        if (!Directory.Exists(squad.Worktree))
        {
            throw new TeamException($"the worktree of issue #{squad.Issue} is gone: {squad.Worktree}");
        }

        await new WorktreeManager(git).CommitAllAsync(
            squad.Worktree,
            string.Create(CultureInfo.InvariantCulture, $"fleet: the developer's uncommitted work (issue #{squad.Issue}, iteration {iteration})"),
            WorktreeWorkspace.Author,
            cancellationToken);
        var ahead = int.Parse(await git.OutputAsync(squad.Worktree, ["rev-list", "--count", $"{squad.Base}..{squad.Branch}"], cancellationToken), CultureInfo.InvariantCulture);
        if (ahead == 0)
        {
            throw new TeamException($"the developer made no commit on {squad.Branch} (nothing ahead of {squad.Base}): nothing to publish for issue #{squad.Issue}");
        }

        var head = await git.OutputAsync(squad.Worktree, ["rev-parse", squad.Branch], cancellationToken);
        if (squad.Forge.Kind == "github")
        {
            await git.RunCheckedAsync(squad.Worktree, ["push", "--set-upstream", "origin", $"{squad.Branch}:{squad.Branch}"], cancellationToken);
        }

        var previous = LatestUpTo(squadRoot, iteration - 1);
        int number;
        string url;
        var created = false;
        if (previous is not null)
        {
            (number, url) = (previous.PullRequest, previous.Url);
        }
        else if ((await forge.ListOpenPullRequestsAsync(cancellationToken)).FirstOrDefault(p => p.HeadBranch == squad.Branch) is { } open)
        {
            (number, url) = (open.Number, open.Url);
        }
        else
        {
            var title = squad.Bundled.Count == 0 ? $"{squad.Title} (#{squad.Issue})" : $"{squad.Title} and {squad.Bundled.Count} more ({string.Join(", ", squad.AllIssues.Select(n => $"#{n}"))})";
            var pr = await forge.CreatePullRequestAsync(new NewPullRequest(squad.Branch, squad.Base, title, Body(squad)), cancellationToken);
            (number, url, created) = (pr.Number, pr.Url, true);
        }

        var record = new PublishRecord(iteration, number, url, head, ahead, created);
        var file = SquadFleet.PublishFile(squadRoot, iteration);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        Doctrine.DoctrineFiles.WriteAtomic(file, JsonSerializer.Serialize(record, TeamJsonContext.Default.PublishRecord) + "\n");
        return record;
    }

    /// <summary>The newest publish record of iterations 1..<paramref name="iteration"/>: the pull request as it stood then.</summary>
    public static PublishRecord? LatestUpTo(string squadRoot, int iteration) =>
        Enumerable.Range(1, Math.Max(0, iteration)).Reverse()
            .Select(n => TryRead(SquadFleet.PublishFile(squadRoot, n)))
            .FirstOrDefault(r => r is not null);

    public static PublishRecord? TryRead(string file)
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize(File.ReadAllText(file), TeamJsonContext.Default.PublishRecord) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The pull request's body: the closing reference first, so every forge links it to the issue.</summary>
    public static string Body(SquadDefinition squad)
    {
        ArgumentNullException.ThrowIfNull(squad);
        return string.Concat(squad.AllIssues.Select(n => string.Create(CultureInfo.InvariantCulture, $"Closes #{n}\n"))) + "\n" +
            $"Opened by fleet team mode (team run {squad.TeamRun}) for {string.Join(", ", [squad.IssueUrl, .. squad.Bundled.Select(b => b.Url)])}.\n\n" +
            $"Squad: developer {squad.Developer.Name()}; adversarial reviewer {squad.Reviewer.Name()}; SDET {squad.Sdet.Name()}.\n" +
            $"The reviewer's verdict is posted as a review and kept below as a `{VerdictTrailer.Key}` trailer, with the head commit it covers.\n";
    }
}
