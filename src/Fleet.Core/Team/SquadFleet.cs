using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Doctrine;
using Fleet.Spec;
using Fleet.State;

namespace Fleet.Team;

/// <summary>
/// Writes a squad's fleet root: an iterative fleet of four workers per iteration — the developer (in the issue's
/// worktree), <c>publish</c> (fleet itself: commits what was left, opens or updates the pull request), the SDET and
/// the adversarial reviewer, whose verdict gates the next iteration. The repository's doctrine goes with it, so
/// every brief carries it.
/// </summary>
public static class SquadFleet
{
    public const string Developer = "developer";
    public const string Publish = "publish";
    public const string Sdet = "sdet";
    public const string Reviewer = "reviewer";

    /// <summary>Where the SDET writes its report, relative to the squad's root.</summary>
    public static string SdetReport(int iteration) => Path.Combine("iterations", iteration.ToString(CultureInfo.InvariantCulture), "sdet.md");

    /// <summary>Where the publish worker records the pull request and head it published.</summary>
    public static string PublishFile(string squadRoot, int iteration) =>
        Path.Combine(squadRoot, "iterations", iteration.ToString(CultureInfo.InvariantCulture), "publish.json");

    /// <summary>Commands a developer runs to commit its work: allowed without asking, since committing on its own branch is its job.</summary>
    public static readonly IReadOnlyList<string> DeveloperAllow =
        ["Bash(git add:*)", "Bash(git commit:*)", "Bash(git status:*)", "Bash(git diff:*)", "Bash(git log:*)"];

    /// <summary>The squad's fleet name, which names its tmux server too (<see cref="SquadTmux.FleetName"/>).</summary>
    public static string FleetName(SquadDefinition squad)
    {
        ArgumentNullException.ThrowIfNull(squad);
        return SquadTmux.FleetName(squad.Repository, squad.TeamRun, squad.Issue);
    }

    /// <param name="fleetCommand">How the publish worker runs fleet (argv prefix).</param>
    /// <param name="noMemory">The no-memory arm: the repository's doctrine, allow rules and preconditions are not copied in.</param>
    public static void Write(string squadRoot, SquadDefinition squad, IReadOnlyList<string> fleetCommand, string? rehearsalScript, bool noMemory = false)
    {
        ArgumentNullException.ThrowIfNull(squad);
        ArgumentNullException.ThrowIfNull(fleetCommand);
        Directory.CreateDirectory(squadRoot);
        squad.Save(squadRoot);
        var spec = new FleetSpec
        {
            FleetName = FleetName(squad),
            Type = FleetType.Iterative,
            Config = new FleetConfig { MaxConcurrent = 1 },
            Workers =
            [
                Agent(Developer, WorkerType.CodeRun, squad.Developer, [], squad.Worktree),
                new WorkerSpec
                {
                    Id = Publish,
                    Type = WorkerType.CodeRun,
                    Provider = Spec.Provider.Command,
                    Command = [.. fleetCommand, "team", "publish", "{root}", "--iteration", "{iteration}"],
                    DependsOn = [Developer],
                },
                Agent(Sdet, WorkerType.CodeRun, squad.Sdet, [Publish], workdir: null),
                Agent(Reviewer, WorkerType.Reviewer, squad.Reviewer, [Sdet], workdir: null),
            ],
            StopWhen = new StopRules { ReviewerLgtmCount = squad.ReviewerLgtmCount, MaxIterations = squad.MaxIterations, CostCapUsd = squad.CostCapUsd },
            Gates = new GatesSpec { Allow = [.. DeveloperAllow] },
        };
        File.WriteAllText(Path.Combine(squadRoot, "fleet.json"), JsonSerializer.Serialize(spec, FleetJsonContext.Default.FleetSpec) + "\n");
        var layout = new FleetLayout(squadRoot);
        WriteBrief(layout, Developer, DeveloperBrief(squad));
        WriteBrief(layout, Sdet, SdetBrief(squad, layout));
        WriteBrief(layout, Reviewer, ReviewerBrief(squad, layout));
        if (!noMemory)
        {
            CopyDoctrine(squad.Repository, squadRoot);
        }
        if (rehearsalScript is not null)
        {
            File.WriteAllText(layout.RehearsalFile, TeamRehearsalScript.ForSquad(rehearsalScript, squad.Issue));
        }
    }

    private static WorkerSpec Agent(string id, WorkerType type, RoleSettings role, List<string> dependsOn, string? workdir) => new()
    {
        Id = id,
        Type = type,
        Provider = ParseProvider(role.Provider),
        Model = role.Model,
        ReasoningEffort = role.ReasoningEffort is null ? null : ParseEffort(role.ReasoningEffort),
        DependsOn = dependsOn.Count == 0 ? null : dependsOn,
        Workdir = workdir,
    };

    private static Provider ParseProvider(string name) => name switch
    {
        "claude" => Spec.Provider.Claude,
        "codex" => Spec.Provider.Codex,
        _ => throw new ArgumentException($"a squad role's provider is claude or codex, not \"{name}\""),
    };

    private static ReasoningEffort ParseEffort(string name) =>
        Enum.GetValues<ReasoningEffort>().FirstOrDefault(e => e.Name() == name) is var effort && effort.Name() == name
            ? effort
            : throw new ArgumentException($"unknown reasoning effort \"{name}\"");

    private static void WriteBrief(FleetLayout layout, string worker, string text)
    {
        Directory.CreateDirectory(layout.WorkerDir(worker));
        File.WriteAllText(layout.PromptFile(worker), text);
    }

    /// <summary>The repository's doctrine (defaults, allow rules, preconditions) applies to every squad it runs.</summary>
    private static void CopyDoctrine(string repository, string squadRoot)
    {
        foreach (var relative in new[] { DoctrineFiles.DoctrineFileName, DoctrineFiles.PreconditionsFileName, Path.Combine(".fleet", "gates.json") })
        {
            var from = Path.Combine(repository, relative);
            if (File.Exists(from))
            {
                var to = Path.Combine(squadRoot, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to, overwrite: true);
            }
        }
    }

    private static string IssueHeader(SquadDefinition s)
    {
        if (s.Bundled.Count == 0)
        {
            return $"# Issue #{s.Issue}: {s.Title}\n\n{s.IssueUrl}\n\n{s.IssueText.Trim()}\n";
        }

        // A bundle: every issue whole, so each one's acceptance is in front of every role.
        var issues = string.Join(", ", s.AllIssues.Select(n => $"#{n}"));
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"# A bundle of {s.AllIssues.Count} issues: {issues}\n\n"));
        text.AppendLine(CultureInfo.InvariantCulture, $"These issues change the same files, so one squad does them together in one pull request that closes each ({issues}).");
        text.AppendLine("Each issue's acceptance must hold; the verdict covers every one of them.");
        text.AppendLine(CultureInfo.InvariantCulture, $"\n## Issue #{s.Issue}: {s.Title}\n\n{s.IssueUrl}\n\n{s.IssueText.Trim()}");
        foreach (var issue in s.Bundled)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\n## Issue #{issue.Number}: {issue.Title}\n\n{issue.Url}\n\n{issue.Text.Trim()}");
        }

        return text.ToString();
    }

    /// <summary>The heading <see cref="ChecksGate.BriefSection"/> starts with: where a brief's checks section begins.</summary>
    private const string ChecksHeading = "## The pull request's checks are not green";

    /// <summary>
    /// Puts <paramref name="section"/> at the end of a worker's prompt.md in place of the previous one (none when null). The
    /// orchestrator reads prompt.md again at every iteration, so the next brief carries it; the rest of the file, a person's
    /// edits included, stays.
    /// </summary>
    public static void ReplaceChecksSection(FleetLayout layout, string worker, string? section)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var file = layout.PromptFile(worker);
        var text = File.Exists(file) ? File.ReadAllText(file) : string.Empty;
        var at = text.IndexOf("\n" + ChecksHeading, StringComparison.Ordinal);
        var kept = (at >= 0 ? text[..at] : text).TrimEnd() + "\n";
        var updated = section is null ? kept : $"{kept}\n{section.Trim()}\n";
        if (updated != text)
        {
            DoctrineFiles.WriteAtomic(file, updated);
        }
    }

    private static string Closes(SquadDefinition s) => string.Join(", ", s.AllIssues.Select(n => $"\"Closes #{n}\""));

    internal static string DeveloperBrief(SquadDefinition s)
    {
        var text = new StringBuilder(IssueHeader(s));
        text.AppendLine();
        text.AppendLine("## Your job: developer");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"You work in the git worktree {s.Worktree}, on branch {s.Branch} (made from {s.Base}). Build what the issue asks, with tests where the");
        text.AppendLine("repository has them. Commit your work on this branch with clear messages (git add, git commit). Do not push and do not open a pull request:");
        text.AppendLine(CultureInfo.InvariantCulture, $"fleet opens it, with {Closes(s)}, when you finish. An SDET then drives your change like a user and an adversarial reviewer");
        text.AppendLine("tries to break it; from the second iteration on, the reviewer's fixes for you follow this brief.");
        return text.ToString();
    }

    internal static string SdetBrief(SquadDefinition s, FleetLayout layout)
    {
        var text = new StringBuilder(IssueHeader(s));
        text.AppendLine();
        text.AppendLine("## Your job: SDET");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"The developer's change is on branch {s.Branch}, checked out at {s.Worktree} (compare with {s.Base}: git -C {s.Worktree} diff {s.Base}...{s.Branch}).");
        text.AppendLine("Drive it like a user: build it, run the commands, pages or tests the issue names, try the edge cases a user would hit. Do not change the code.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Write your report to {Path.Combine(layout.Root, "iterations", "<N>", "sdet.md")}, where <N> is this iteration's number (given above):");
        text.AppendLine("what you ran, what you saw, what failed, each with the exact command. fleet posts it on the pull request.");
        return text.ToString();
    }

    internal static string ReviewerBrief(SquadDefinition s, FleetLayout layout)
    {
        var text = new StringBuilder(IssueHeader(s));
        text.AppendLine();
        text.AppendLine("## Your job: adversarial reviewer");
        text.AppendLine();
        text.AppendLine("You did not write this change and you are not here to bless it: try to break it. The diff:");
        text.AppendLine(CultureInfo.InvariantCulture, $"git -C {s.Worktree} diff {s.Base}...{s.Branch}");
        text.AppendLine(CultureInfo.InvariantCulture, $"The SDET's report of this iteration: {Path.Combine(layout.Root, "iterations", "<N>", "sdet.md")}; the pull request fleet opened: {Path.Combine(layout.Root, "iterations", "<N>", "publish.json")}.");
        text.AppendLine("Look for what the issue asks and the change does not do, wrong behaviour at the edges, missing or weak tests, and anything that breaks other code.");
        text.AppendLine("Every problem with specifics: the file, the line or function, what is wrong, what to change. Approve (lgtm) only what you could not break.");
        text.AppendLine("fleet posts your review on the pull request as an approval or a change request, with your verdict.");
        return text.ToString();
    }
}
