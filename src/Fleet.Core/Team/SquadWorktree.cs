using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>
/// An issue's worktree on branch <c>fleet/issue-&lt;n&gt;</c>: created from the base on first use, checked out again
/// (commits and all) when the branch already exists, returned as is when it is already there. Never deleted here.
/// </summary>
public sealed class SquadWorktree(GitCli? git = null)
{
    private readonly GitCli _git = git ?? GitCli.Default;

    public async Task<string> EnsureAsync(TeamLayout layout, int issue, string baseBranch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var top = layout.Repository;
        await layout.ExcludeFromGitAsync(_git, cancellationToken);
        var branch = TeamLayout.Branch(issue);
        var path = layout.Worktree(issue);
        var list = await _git.OutputAsync(top, ["worktree", "list", "--porcelain"], cancellationToken);
        string? checkedOutAt = null;
        string? current = null;
        foreach (var line in list.Split('\n'))
        {
            if (line.StartsWith("worktree ", StringComparison.Ordinal))
            {
                current = line["worktree ".Length..].Trim();
            }
            else if (line.Trim() == $"branch refs/heads/{branch}")
            {
                checkedOutAt = current;
            }
        }

        if (checkedOutAt is not null)
        {
            if (Path.GetFullPath(checkedOutAt) == Path.GetFullPath(path) && Directory.Exists(path))
            {
                return path;
            }

            throw new WorktreeException($"branch {branch} is already checked out at {checkedOutAt}: fleet will not check it out twice (remove that worktree, or finish the work there)");
        }

        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new WorktreeException($"{path} exists and is not a worktree of branch {branch}: fleet will not write over it (move it away)");
        }

        var exists = (await _git.RunAsync(top, ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}"], cancellationToken)).Succeeded;
        if (exists)
        {
            await _git.RunCheckedAsync(top, ["worktree", "add", path, branch], cancellationToken);
        }
        else
        {
            await _git.RunCheckedAsync(top, ["worktree", "add", "-b", branch, path, baseBranch], cancellationToken);
        }

        return path;
    }
}
