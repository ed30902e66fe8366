using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Worktrees;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet clean ROOT</c>: removes a worktree fleet's merged, clean worktrees; names every one it keeps and why.</summary>
internal static class CleanCommand
{
    public static Command Create(ICliConsole console)
    {
        var rootArgument = new Argument<string>("ROOT") { Description = "The fleet root (or its fleet.json), inside the git repository its worktrees belong to." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be removed and what would be kept; remove nothing." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("clean", "Remove the fleet's worktrees whose branches are merged and whose trees are clean; keep every other one and say why.") { rootArgument, dryRun, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(rootArgument)!;
            var asJson = parse.GetValue(json);
            var result = CommandHelpers.Validate(console, displayRoot);
            if (result.Fleet is not { } fleet)
            {
                await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
                throw new CliException($"{result.File}: not a valid fleet; nothing was removed");
            }

            var manager = new WorktreeManager();
            string repository;
            try
            {
                repository = await manager.RepositoryTopAsync(result.Root, cancellationToken);
            }
            catch (NotAGitRepositoryException)
            {
                throw new CliException($"{displayRoot} is not inside a git repository, so fleet \"{fleet.Name}\" has no worktrees to clean");
            }

            var report = await manager.CleanAsync(repository, fleet.Name, baseRef: null, parse.GetValue(dryRun), cancellationToken);
            if (asJson)
            {
                await CommandHelpers.WriteJsonAsync(console, ToJson(report), CliJsonContext.Default.CleanJson);
            }
            else
            {
                await WriteHumanAsync(console, report);
            }

            return report.AnyRefused ? ExitCodes.Failed : ExitCodes.Success;
        });
        return command;
    }

    private static CleanJson ToJson(CleanReport report) => new(
        report.Repository,
        report.FleetName,
        report.DryRun,
        report.Outcomes.Count(o => o.Action == CleanAction.Removed),
        report.Outcomes.Count(o => o.Action == CleanAction.WouldRemove),
        report.Outcomes.Count(o => o.KeptSomething),
        [.. report.Outcomes.Select(o => new CleanedWorktreeJson(o.WorkerId, o.Path, o.Branch, ActionName(o.Action), o.BranchDeleted, o.Reason))]);

    private static string ActionName(CleanAction action) => action switch
    {
        CleanAction.Removed => "removed",
        CleanAction.WouldRemove => "would_remove",
        _ => "refused",
    };

    private static async Task WriteHumanAsync(ICliConsole console, CleanReport report)
    {
        if (report.Outcomes.Count == 0)
        {
            await console.Out.WriteLineAsync($"fleet \"{report.FleetName}\" has no worktrees or branches in {report.Repository}");
            return;
        }

        foreach (var o in report.Outcomes)
        {
            var where = o.Path is null ? $"branch {o.Branch} (no worktree)" : $"{Path.GetRelativePath(report.Repository, o.Path)} (branch {o.Branch})";
            var line = o.Action switch
            {
                CleanAction.WouldRemove => $"would remove {where}{(o.Reason is null ? "" : ": " + o.Reason)}",
                CleanAction.Removed when o.BranchDeleted => $"removed {where}{(o.Path is null ? "" : ", branch deleted")}",
                CleanAction.Removed => $"removed {where}; {o.Reason}",
                _ => $"kept {where}: {o.Reason}",
            };
            await console.Out.WriteLineAsync(line);
        }

        var removed = report.Outcomes.Count(o => o.Action is CleanAction.Removed or CleanAction.WouldRemove);
        var kept = report.Outcomes.Count(o => o.KeptSomething);
        var verb = report.DryRun ? "would remove" : "removed";
        await console.Out.WriteLineAsync($"{verb} {removed}, kept {kept}{(kept > 0 ? " (work kept: nothing unmerged or uncommitted is ever removed)" : "")}");
    }
}
