using System.Globalization;
using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>
/// Where team mode keeps things in a repository: its state under <c>.fleet/team/</c> (kept out of git by
/// <c>.git/info/exclude</c>), one fleet root per squad under <c>runs/&lt;run&gt;/issue-&lt;n&gt;</c>, and each issue's
/// worktree beside fleet's other worktrees on branch <c>fleet/issue-&lt;n&gt;</c>.
/// </summary>
public sealed class TeamLayout(string repository)
{
    /// <summary>The line of <c>.git/info/exclude</c> that keeps team state out of <c>git status</c>.</summary>
    public const string ExcludeLine = "/.fleet/team/";

    public const string RetroLabel = "fleet-retro";

    public string Repository { get; } = Path.GetFullPath(repository);

    public string StateDir => Path.Combine(Repository, ".fleet", "team");

    public string DefaultPlanFile => Path.Combine(StateDir, "plan.json");

    public string RunsDir => Path.Combine(StateDir, "runs");

    public string RunDir(string run) => Path.Combine(RunsDir, run);

    public string SquadRoot(string run, int issue) => Path.Combine(RunDir(run), SquadName(issue));

    public string Worktree(int issue) => Path.Combine(Repository, WorktreeManager.WorktreesFolder, SquadName(issue));

    public static string SquadName(int issue) => string.Create(CultureInfo.InvariantCulture, $"issue-{issue}");

    public static string Branch(int issue) => string.Create(CultureInfo.InvariantCulture, $"fleet/issue-{issue}");

    /// <summary>Keeps team state and the issues' worktrees out of <c>git status</c>, so the tree stays clean for the next plan.</summary>
    public async Task ExcludeFromGitAsync(GitCli git, CancellationToken cancellationToken)
    {
        var manager = new WorktreeManager(git);
        await manager.EnsureWorktreesExcludedAsync(Repository, cancellationToken);
        await manager.EnsureExcludedAsync(Repository, ExcludeLine, "fleet: team mode's plans and squads", cancellationToken);
    }

    /// <summary>A new team run's id: sortable by time, unique enough for one repository.</summary>
    public static string NewRunId(DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"t-{now.UtcDateTime:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}");
}
