using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet.Worktrees;

/// <summary>
/// The git side of a worktree fleet: one worktree per worker at
/// <c>&lt;repo&gt;/.fleet-worktrees/&lt;fleet&gt;/&lt;worker&gt;</c> on branch <c>fleet/&lt;fleet&gt;/&lt;worker&gt;</c>.
/// Work is never deleted: nothing here passes <c>--force</c> to <c>git worktree remove</c> or <c>-D</c> to
/// <c>git branch</c>, and clean removes only clean worktrees whose branches are merged into their base.
/// </summary>
public sealed partial class WorktreeManager
{
    /// <summary>The folder, at the top of the repository's working tree, that holds every fleet's worktrees.</summary>
    public const string WorktreesFolder = ".fleet-worktrees";

    /// <summary>The line fleet adds to the repository's <c>info/exclude</c> so the folder is never committed.</summary>
    public const string ExcludeLine = "/" + WorktreesFolder + "/";

    /// <summary>Git config keys fleet sets on a branch it creates (git drops them when the branch is deleted).</summary>
    public const string WorkerConfigKey = "fleetWorker";

    public const string BaseConfigKey = "fleetBase";

    /// <summary>How the reason of every lock fleet takes begins.</summary>
    public const string LockReasonPrefix = "fleet: ";

    // One mutation at a time in this process: concurrent `git config` writes fail on config.lock, and so would
    // concurrent appends to info/exclude.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    private readonly GitCli _git;

    public WorktreeManager(GitCli? git = null)
    {
        _git = git ?? GitCli.Default;
    }

    public static string BranchName(string fleetName, string workerId) => $"fleet/{fleetName}/{workerId}";

    /// <summary>Where a worker's worktree lives, given the repository's top folder.</summary>
    public static string WorktreePath(string repositoryTop, string fleetName, string workerId) =>
        Path.Combine(repositoryTop, WorktreesFolder, fleetName, workerId);

    /// <summary>The top folder of the working tree that contains <paramref name="directory"/>.</summary>
    /// <exception cref="NotAGitRepositoryException">The folder is in no git repository.</exception>
    public Task<string> RepositoryTopAsync(string directory, CancellationToken cancellationToken) =>
        _git.OutputAsync(directory, ["rev-parse", "--show-toplevel"], cancellationToken);

    /// <summary>
    /// The worker's worktree, created on first call and returned as is afterwards: a resumed run gets the same
    /// folder with whatever the agent left in it. The worktree is locked ("a worker may be running here") until
    /// <see cref="FinishAsync"/> or <see cref="UnlockAsync"/>, so neither clean nor <c>git worktree prune</c> touches it.
    /// </summary>
    /// <param name="repoDir">Any folder inside the repository.</param>
    /// <param name="fleetName">The fleet's name: the middle of the branch name.</param>
    /// <param name="workerId">The worker's id: the end of the branch name and the folder name.</param>
    /// <param name="baseRef">What a new branch starts from; null = the repository's current HEAD.</param>
    /// <param name="cancellationToken">Stops waiting for git.</param>
    /// <returns>The worktree's absolute path.</returns>
    /// <exception cref="WorktreeException">Fleet refuses: no commits yet, a branch or folder in the way…</exception>
    public async Task<string> EnsureAsync(string repoDir, string fleetName, string workerId, string? baseRef, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repoDir);
        var top = await RepositoryTopAsync(repoDir, cancellationToken);
        var branch = await CheckNamesAsync(top, fleetName, workerId, cancellationToken);
        var path = WorktreePath(top, fleetName, workerId);

        await Gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureWorktreesExcludedAsync(top, cancellationToken);
            var worktrees = await ListAllAsync(top, cancellationToken);

            var here = worktrees.FirstOrDefault(w => SamePath(w.Path, path));
            if (here is not null && (here.Prunable || !Directory.Exists(path)) && (here.LockReason is null || here.LockReason.StartsWith(LockReasonPrefix, StringComparison.Ordinal)))
            {
                // Its folder is gone (deleted by hand): drop the stale entry, even under fleet's own lock (there is
                // nothing left there to protect); the branch and its commits stay, and are checked out again below.
                if (here.LockReason is not null)
                {
                    await _git.RunCheckedAsync(top, ["worktree", "unlock", path], cancellationToken);
                }

                await _git.RunCheckedAsync(top, ["worktree", "prune"], cancellationToken);
                here = null;
            }

            if (here is not null)
            {
                if (here.Branch != branch)
                {
                    var on = here.Branch is null ? "a detached HEAD" : $"branch {here.Branch}";
                    throw new WorktreeException($"the worktree at {path} is on {on}, not {branch}: fleet leaves it as it is (check it out again with: git -C '{path}' switch {branch})");
                }

                await MarkOursAsync(top, branch, fleetName, workerId, baseName: null, cancellationToken);
                await LockAsync(top, path, here, fleetName, workerId, cancellationToken);
                return path;
            }

            var elsewhere = worktrees.FirstOrDefault(w => w.Branch == branch && !w.Prunable && !SamePath(w.Path, path));
            if (elsewhere is not null)
            {
                throw new WorktreeException($"branch {branch} is already checked out at {elsewhere.Path}: fleet will not check it out twice (remove that worktree, or rename the branch)");
            }

            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            {
                throw new WorktreeException($"{path} exists and is not a worktree of this repository: fleet will not write over it (move it away)");
            }

            if (await RefExistsAsync(top, "refs/heads/" + branch, cancellationToken))
            {
                var owner = await ConfigAsync(top, $"branch.{branch}.{WorkerConfigKey}", cancellationToken);
                if (owner != $"{fleetName}/{workerId}")
                {
                    throw new WorktreeException($"branch {branch} exists but fleet did not create it (git config branch.{branch}.{WorkerConfigKey} is not set): rename or delete that branch, or rename the worker");
                }

                // A branch from an earlier run whose worktree was removed: check it out again, commits and all.
                await _git.RunCheckedAsync(top, ["worktree", "add", path, branch], cancellationToken);
            }
            else
            {
                var (commit, baseName) = await ResolveBaseAsync(top, baseRef, cancellationToken);
                await _git.RunCheckedAsync(top, ["worktree", "add", "-b", branch, path, commit], cancellationToken);
                await MarkOursAsync(top, branch, fleetName, workerId, baseName, cancellationToken);
            }

            await LockAsync(top, path, existing: null, fleetName, workerId, cancellationToken);
            return path;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Commits everything the agent left in the worktree (new, modified and deleted files; ignored files stay
    /// out). Nothing to commit: no commit. Hooks and signing are skipped: this is a snapshot of the agent's work,
    /// and it must neither fail on a lint hook nor wait for a pinentry.
    /// </summary>
    /// <returns>The new commit's id, or null when there was nothing to commit.</returns>
    /// <exception cref="WorktreeException">HEAD is detached there: a commit would be on no branch.</exception>
    public async Task<string?> CommitAllAsync(string worktree, string message, GitIdentity author, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worktree);
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        ArgumentNullException.ThrowIfNull(author);
        var head = await _git.RunAsync(worktree, ["symbolic-ref", "--quiet", "HEAD"], cancellationToken);
        if (!head.Succeeded)
        {
            if (head.ExitCode == 128)
            {
                throw GitCli.Failure(head);
            }

            throw new WorktreeException($"HEAD is detached in {worktree}: a commit there would be on no branch, so fleet leaves the changes uncommitted (switch to the worker's branch and commit)");
        }

        await _git.RunCheckedAsync(worktree, ["add", "--all"], cancellationToken);
        var staged = await _git.RunAsync(worktree, ["diff", "--cached", "--quiet"], cancellationToken);
        switch (staged.ExitCode)
        {
            case 0:
                return null;
            case 1:
                break;
            default:
                throw GitCli.Failure(staged);
        }

        var identity = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = author.Name,
            ["GIT_AUTHOR_EMAIL"] = author.Email,
            ["GIT_COMMITTER_NAME"] = author.Name,
            ["GIT_COMMITTER_EMAIL"] = author.Email,
        };
        await _git.RunCheckedAsync(worktree, ["-c", "commit.gpgSign=false", "commit", "--no-verify", "--quiet", "--message", message], cancellationToken, identity);
        return await _git.OutputAsync(worktree, ["rev-parse", "HEAD"], cancellationToken);
    }

    /// <summary>After the worker ends: commits what it left, then unlocks its worktree so clean may consider it.</summary>
    public async Task<string?> FinishAsync(string worktree, string message, GitIdentity author, CancellationToken cancellationToken)
    {
        var commit = await CommitAllAsync(worktree, message, author, cancellationToken);
        await UnlockAsync(worktree, cancellationToken);
        return commit;
    }

    /// <summary>Unlocks a worktree that fleet locked (no worker runs there any more); a no-op when it is not locked.</summary>
    public async Task UnlockAsync(string worktree, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worktree);
        var top = await RepositoryTopAsync(worktree, cancellationToken);
        var entry = (await ListAllAsync(top, cancellationToken)).FirstOrDefault(w => SamePath(w.Path, top));
        if (entry?.LockReason is not null)
        {
            await _git.RunCheckedAsync(top, ["worktree", "unlock", top], cancellationToken);
        }
    }

    /// <summary>The fleet's worktrees: those on a <c>fleet/&lt;fleet&gt;/</c> branch or in its folder.</summary>
    public async Task<IReadOnlyList<FleetWorktree>> ListAsync(string repoDir, string fleetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repoDir);
        ArgumentException.ThrowIfNullOrWhiteSpace(fleetName);
        var top = await RepositoryTopAsync(repoDir, cancellationToken);
        return Filter(await ListAllAsync(top, cancellationToken), top, fleetName);
    }

    /// <summary>
    /// Removes the fleet's worktrees that are clean, unlocked and whose branches are merged into their base, and
    /// deletes those branches with <c>git branch -d</c>; every other one is kept with the reason why. Branches
    /// of the fleet that have no worktree any more are deleted when merged, kept otherwise.
    /// </summary>
    /// <param name="repoDir">Any folder inside the repository.</param>
    /// <param name="fleetName">The fleet.</param>
    /// <param name="baseRef">What "merged" means; null = each branch's recorded base (where it was created from), else HEAD.</param>
    /// <param name="dryRun">Report only: remove, prune and delete nothing.</param>
    /// <param name="cancellationToken">Stops waiting for git.</param>
    public async Task<CleanReport> CleanAsync(string repoDir, string fleetName, string? baseRef, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repoDir);
        ArgumentException.ThrowIfNullOrWhiteSpace(fleetName);
        var top = await RepositoryTopAsync(repoDir, cancellationToken);
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (!dryRun)
            {
                // Entries whose folders are gone (locked ones stay): their branches remain, judged below.
                await _git.RunCheckedAsync(top, ["worktree", "prune"], cancellationToken);
            }

            var all = await ListAllAsync(top, cancellationToken);
            var worktrees = Filter(all, top, fleetName);
            var prefix = $"fleet/{fleetName}/";
            var refs = await _git.OutputAsync(top, ["for-each-ref", "--format=%(refname:short)", "refs/heads/" + prefix], cancellationToken);
            var branches = refs.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var checkedOut = all.Select(w => w.Branch).ToHashSet(StringComparer.Ordinal);

            var outcomes = new List<CleanOutcome>();
            foreach (var worktree in worktrees)
            {
                outcomes.Add(await CleanWorktreeAsync(top, fleetName, worktree, baseRef, dryRun, cancellationToken));
            }

            foreach (var branch in branches.Where(b => !checkedOut.Contains(b)))
            {
                outcomes.Add(await CleanBranchAsync(top, branch, branch[prefix.Length..], baseRef, dryRun, cancellationToken));
            }

            return new CleanReport(top, fleetName, dryRun, [.. outcomes.OrderBy(o => o.WorkerId, StringComparer.Ordinal)]);
        }
        finally
        {
            Gate.Release();
        }
    }

    private async Task<CleanOutcome> CleanWorktreeAsync(string top, string fleetName, FleetWorktree worktree, string? baseRef, bool dryRun, CancellationToken cancellationToken)
    {
        var branch = BranchName(fleetName, worktree.WorkerId);
        var reasons = new List<string>();
        if (worktree.LockReason is { } lockReason)
        {
            reasons.Add(lockReason.Length > 0 ? $"locked ({lockReason})" : "locked");
        }

        if (SamePath(worktree.Path, top))
        {
            reasons.Add("fleet clean was run from inside this worktree (run it from the main checkout)");
        }

        if (worktree.Branch != branch)
        {
            reasons.Add(worktree.Branch is null ? $"HEAD is detached (not on {branch})" : $"on branch {worktree.Branch}, not {branch}");
        }

        var missing = worktree.Prunable || !Directory.Exists(worktree.Path);
        if (!missing)
        {
            var dirt = await UncommittedAsync(worktree.Path, cancellationToken);
            if (dirt is not null)
            {
                reasons.Add(dirt);
            }
        }

        if (worktree.Branch == branch && await UnmergedAsync(top, branch, baseRef, cancellationToken) is { } unmerged)
        {
            reasons.Add(unmerged);
        }

        if (reasons.Count > 0)
        {
            return new CleanOutcome(worktree.WorkerId, worktree.Path, branch, CleanAction.Refused, string.Join("; ", reasons), false);
        }

        if (dryRun)
        {
            return new CleanOutcome(worktree.WorkerId, worktree.Path, branch, CleanAction.WouldRemove, missing ? "stale entry: its folder is gone" : null, false);
        }

        // No --force: git itself refuses a worktree that changed since we looked.
        var removed = await _git.RunAsync(top, ["worktree", "remove", worktree.Path], cancellationToken);
        if (!removed.Succeeded)
        {
            return new CleanOutcome(worktree.WorkerId, worktree.Path, branch, CleanAction.Refused, $"git worktree remove refused: {removed.Stderr.Trim()}", false);
        }

        return await DeleteBranchAsync(top, worktree.WorkerId, worktree.Path, branch, cancellationToken);
    }

    private async Task<CleanOutcome> CleanBranchAsync(string top, string branch, string workerId, string? baseRef, bool dryRun, CancellationToken cancellationToken)
    {
        if (await UnmergedAsync(top, branch, baseRef, cancellationToken) is { } unmerged)
        {
            return new CleanOutcome(workerId, null, branch, CleanAction.Refused, unmerged + " (it has no worktree)", false);
        }

        return dryRun
            ? new CleanOutcome(workerId, null, branch, CleanAction.WouldRemove, null, false)
            : await DeleteBranchAsync(top, workerId, null, branch, cancellationToken);
    }

    private async Task<CleanOutcome> DeleteBranchAsync(string top, string workerId, string? path, string branch, CancellationToken cancellationToken)
    {
        // -d, never -D: git checks once more that the branch is merged (into HEAD or its upstream).
        var deleted = await _git.RunAsync(top, ["branch", "-d", branch], cancellationToken);
        return deleted.Succeeded
            ? new CleanOutcome(workerId, path, branch, CleanAction.Removed, null, true)
            : new CleanOutcome(workerId, path, branch, CleanAction.Removed, $"branch {branch} kept: git branch -d refused: {deleted.Stderr.Trim()}", false);
    }

    /// <summary>"has uncommitted changes: a.txt, b.txt" (untracked files count), or null when clean.</summary>
    private async Task<string?> UncommittedAsync(string worktree, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string> { ["GIT_OPTIONAL_LOCKS"] = "0" };
        var status = await _git.RunCheckedAsync(worktree, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none"], cancellationToken, environment);
        var entries = new List<string>();
        var fields = status.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < fields.Length; i++)
        {
            entries.Add(fields[i].Length > 3 ? fields[i][3..] : fields[i]);
            if (fields[i].Length > 0 && fields[i][0] is 'R' or 'C')
            {
                i++; // a rename's second field is its old name
            }
        }

        if (entries.Count == 0)
        {
            return null;
        }

        const int Shown = 3;
        var names = string.Join(", ", entries.Take(Shown));
        var more = entries.Count > Shown ? $" and {entries.Count - Shown} more" : "";
        return $"has uncommitted changes: {names}{more}";
    }

    /// <summary>"branch fleet/f/w has 2 commits not merged into main", or null when merged.</summary>
    private async Task<string?> UnmergedAsync(string top, string branch, string? baseRef, CancellationToken cancellationToken)
    {
        var baseName = baseRef
            ?? await ConfigAsync(top, $"branch.{branch}.{BaseConfigKey}", cancellationToken)
            ?? await CurrentBranchOrHeadAsync(top, cancellationToken);
        if (baseName is null || !await RefExistsAsync(top, baseName, cancellationToken))
        {
            return $"its base {baseName ?? "HEAD"} does not resolve to a commit, so fleet cannot tell whether branch {branch} is merged";
        }

        var count = int.Parse(await _git.OutputAsync(top, ["rev-list", "--count", $"{baseName}^{{commit}}..refs/heads/{branch}"], cancellationToken), CultureInfo.InvariantCulture);
        return count == 0 ? null : $"branch {branch} has {count} {(count == 1 ? "commit" : "commits")} not merged into {baseName}";
    }

    private async Task<string?> CurrentBranchOrHeadAsync(string top, CancellationToken cancellationToken)
    {
        var symbolic = await _git.RunAsync(top, ["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken);
        if (symbolic.Succeeded)
        {
            return symbolic.Stdout.Trim();
        }

        var head = await _git.RunAsync(top, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cancellationToken);
        return head.Succeeded ? head.Stdout.Trim() : null;
    }

    private async Task<(string Commit, string BaseName)> ResolveBaseAsync(string top, string? baseRef, CancellationToken cancellationToken)
    {
        var spec = baseRef ?? "HEAD";
        var commit = await _git.RunAsync(top, ["rev-parse", "--verify", "--quiet", "--end-of-options", spec + "^{commit}"], cancellationToken);
        if (!commit.Succeeded)
        {
            if (baseRef is null)
            {
                throw new WorktreeException($"the repository at {top} has no commits yet: a worktree starts from a commit, so make a first commit (git commit --allow-empty -m init) before running a worktree fleet");
            }

            throw new WorktreeException($"base ref {baseRef} does not resolve to a commit in {top}");
        }

        var sha = commit.Stdout.Trim();
        if (baseRef is not null)
        {
            return (sha, baseRef);
        }

        // HEAD on a branch: that branch is the base ("merged into main"); a detached HEAD: its commit.
        var symbolic = await _git.RunAsync(top, ["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken);
        return (sha, symbolic.Succeeded ? symbolic.Stdout.Trim() : sha);
    }

    private async Task<string> CheckNamesAsync(string top, string fleetName, string workerId, CancellationToken cancellationToken)
    {
        foreach (var (what, name) in new[] { ("fleet name", fleetName), ("worker id", workerId) })
        {
            if (string.IsNullOrEmpty(name) || !SafeName().IsMatch(name))
            {
                throw new WorktreeException($"{what} \"{name}\" cannot name a branch and a folder: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit");
            }
        }

        var branch = BranchName(fleetName, workerId);
        var check = await _git.RunAsync(top, ["check-ref-format", "--branch", branch], cancellationToken);
        return check.Succeeded ? branch : throw new WorktreeException($"{branch} is not a valid git branch name (git check-ref-format)");
    }

    /// <summary>Adds <c>/.fleet-worktrees/</c> to the repository's <c>info/exclude</c> (shared by all its worktrees).</summary>
    public Task EnsureWorktreesExcludedAsync(string top, CancellationToken cancellationToken) =>
        EnsureExcludedAsync(top, ExcludeLine, "fleet: worker worktrees (see fleet clean)", cancellationToken);

    /// <summary>Adds <paramref name="line"/> to the repository's <c>info/exclude</c> (once), so fleet's own files never show in <c>git status</c>.</summary>
    public async Task EnsureExcludedAsync(string top, string line, string comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        var relative = await _git.OutputAsync(top, ["rev-parse", "--git-path", "info/exclude"], cancellationToken);
        var exclude = Path.GetFullPath(relative, top);
        var lines = File.Exists(exclude) ? await File.ReadAllLinesAsync(exclude, cancellationToken) : [];
        if (lines.Any(l => l.Trim() == line))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        var existing = File.Exists(exclude) ? await File.ReadAllTextAsync(exclude, cancellationToken) : "";
        var separator = existing.Length > 0 && !existing.EndsWith('\n') ? "\n" : "";
        await File.AppendAllTextAsync(exclude, $"{separator}# {comment}\n{line}\n", cancellationToken);
    }

    private async Task MarkOursAsync(string top, string branch, string fleetName, string workerId, string? baseName, CancellationToken cancellationToken)
    {
        if (await ConfigAsync(top, $"branch.{branch}.{WorkerConfigKey}", cancellationToken) is null)
        {
            await _git.RunCheckedAsync(top, ["config", $"branch.{branch}.{WorkerConfigKey}", $"{fleetName}/{workerId}"], cancellationToken);
        }

        if (baseName is not null)
        {
            await _git.RunCheckedAsync(top, ["config", $"branch.{branch}.{BaseConfigKey}", baseName], cancellationToken);
        }
    }

    private async Task LockAsync(string top, string path, FleetWorktree? existing, string fleetName, string workerId, CancellationToken cancellationToken)
    {
        if (existing?.LockReason is not null)
        {
            return;
        }

        var reason = $"{LockReasonPrefix}worker {workerId} of fleet {fleetName} may be running here (fleet unlocks it when the worker ends)";
        await _git.RunCheckedAsync(top, ["worktree", "lock", "--reason", reason, path], cancellationToken);
    }

    private async Task<string?> ConfigAsync(string top, string key, CancellationToken cancellationToken)
    {
        var result = await _git.RunAsync(top, ["config", "--get", key], cancellationToken);
        return result.ExitCode switch
        {
            0 => result.Stdout.TrimEnd('\n'),
            1 => null,
            _ => throw GitCli.Failure(result),
        };
    }

    private async Task<bool> RefExistsAsync(string top, string reference, CancellationToken cancellationToken)
    {
        var result = await _git.RunAsync(top, ["rev-parse", "--verify", "--quiet", "--end-of-options", reference + "^{commit}"], cancellationToken);
        return result.Succeeded;
    }

    /// <summary>Every worktree of the repository, the main one included, from <c>git worktree list --porcelain -z</c>.</summary>
    private async Task<IReadOnlyList<FleetWorktree>> ListAllAsync(string top, CancellationToken cancellationToken)
    {
        var output = (await _git.RunCheckedAsync(top, ["worktree", "list", "--porcelain", "-z"], cancellationToken)).Stdout;
        return ParsePorcelain(output);
    }

    internal static IReadOnlyList<FleetWorktree> ParsePorcelain(string output)
    {
        var list = new List<FleetWorktree>();
        string? path = null, head = null, branch = null, lockReason = null;
        var prunable = false;
        foreach (var field in output.Split('\0'))
        {
            if (field.Length == 0)
            {
                if (path is not null)
                {
                    list.Add(new FleetWorktree(path, Path.GetFileName(path), branch, head, lockReason, prunable));
                }

                path = head = branch = lockReason = null;
                prunable = false;
                continue;
            }

            var space = field.IndexOf(' ', StringComparison.Ordinal);
            var key = space < 0 ? field : field[..space];
            var value = space < 0 ? "" : field[(space + 1)..];
            switch (key)
            {
                case "worktree":
                    path = value;
                    break;
                case "HEAD":
                    head = value;
                    break;
                case "branch":
                    branch = value.StartsWith("refs/heads/", StringComparison.Ordinal) ? value["refs/heads/".Length..] : value;
                    break;
                case "locked":
                    lockReason = value;
                    break;
                case "prunable":
                    prunable = true;
                    break;
                default:
                    break;
            }
        }

        return list;
    }

    private static IReadOnlyList<FleetWorktree> Filter(IReadOnlyList<FleetWorktree> all, string top, string fleetName)
    {
        var prefix = $"fleet/{fleetName}/";
        var folder = Path.Combine(top, WorktreesFolder, fleetName) + Path.DirectorySeparatorChar;
        var list = new List<FleetWorktree>();
        foreach (var w in all)
        {
            if (w.Branch is { } b && b.StartsWith(prefix, StringComparison.Ordinal))
            {
                list.Add(w with { WorkerId = b[prefix.Length..] });
            }
            else if (w.Path.StartsWith(folder, StringComparison.Ordinal))
            {
                list.Add(w with { WorkerId = w.Path[folder.Length..] });
            }
        }

        return [.. list.OrderBy(w => w.WorkerId, StringComparer.Ordinal)];
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex SafeName();
}
