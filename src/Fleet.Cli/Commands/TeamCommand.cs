using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Forge;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Rehearsal;
using Fleet.State;
using Fleet.Team;
using Fleet.UseCases;
using Fleet.Worktrees;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet team plan|run|merge</c>: team mode over a backlog. plan: step 0, pre-flight, the architect's footprints and
/// the waves, into plan.json; run: a squad per issue, wave by wave; merge: only what was approved at its current head.
/// </summary>
internal static class TeamCommand
{
    public static Command Create(ICliConsole console)
    {
        var team = new Command("team", "Team mode: plan a backlog's parallel set, run a squad per issue (developer, adversarial reviewer, SDET, productivity engineer), merge what was approved.")
        {
            Plan(console), Run(console), TeamRunCommands.Status(console), TeamRunCommands.Resume(console), TeamRunCommands.Kill(console), Merge(console), Publish(console),
            TeamRunCommands.Orchestrate(console),
        };
        return team;
    }

    private static Option<string?> ForgeOption() =>
        new("--local-forge") { Description = "Use a local forge (a folder of issue and pull-request records) instead of GitHub through gh." };

    private static Command Plan(ICliConsole console)
    {
        var repo = new Option<string>("--repo") { Description = "The repository (default: the current folder).", DefaultValueFactory = _ => "." };
        var issues = new Option<string?>("--issues") { Description = "Only these issues, comma-separated (12,15)." };
        var label = new Option<string?>("--label") { Description = "Only the open issues with this label." };
        var output = new Option<string?>("--out") { Description = "Where to write the plan (default: REPO/.fleet/team/plan.json)." };
        var baseBranch = new Option<string?>("--base") { Description = "The branch every issue branch starts from (default: the checked-out branch)." };
        var localForge = ForgeOption();
        var shared = new Option<string[]>("--shared") { Description = "A folder two issues may not both touch in one wave (repeatable).", AllowMultipleArgumentsPerToken = true };
        var footprints = new Option<string?>("--footprints") { Description = "Footprints you wrote ({\"footprints\":[{\"issue\":12,\"files\":[],\"folders\":[],\"migrations\":[],\"needs\":[],\"why\":\"\"}]}) instead of asking the architect agent." };
        var developer = new Option<string?>("--developer") { Description = "The developer: PROVIDER[/MODEL] (default claude)." };
        var reviewer = new Option<string?>("--reviewer") { Description = "The adversarial reviewer: PROVIDER[/MODEL] (default codex: another provider than the developer's)." };
        var sdet = new Option<string?>("--sdet") { Description = "The SDET: PROVIDER[/MODEL] (default claude)." };
        var maxIterations = new Option<int?>("--max-iterations") { Description = "Iterations per squad before it stops without approval (default 3)." };
        var costCap = new Option<decimal?>("--cost-cap") { Description = "Per squad, in US dollars: no new worker starts past it." };
        var architectModel = new Option<string?>("--architect-model") { Description = "The architect's claude model (default: claude's default)." };
        var rehearse = new Option<bool>("--rehearse") { Description = "Run the architect against fleet's scripted endpoint on 127.0.0.1: no key, no spend." };
        var script = new Option<string?>("--script") { Description = "With --rehearse: the rehearsal script (default: the architect finds no overlap)." };
        var noMemory = new Option<bool>("--no-memory") { Description = "Plan without the latest fleet-retro issue and the doctrine (the memory experiment's control arm, docs/flywheel.md)." };
        var overlap = new Option<string>("--overlap")
        {
            Description = "Issues that change the same file: bundle (one squad, one pull request closing each; the default) or serialize (wave after wave, a pull request each).",
            DefaultValueFactory = _ => OverlapModes.Default,
        };
        overlap.AcceptOnlyFromAmong([.. OverlapModes.All]);
        var checks = new Option<string?>("--checks") { Description = "With a local forge: the checks command run in each squad's worktree after each publish (sh -c); its failure goes back to the developer and blocks approval." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("plan", "Step 0, pre-flight (is anyone already on it?), the architect's footprints, and the waves: which issues run at once and why others wait. Writes plan.json, a file you may edit.")
        {
            repo, issues, label, output, baseBranch, localForge, shared, footprints, developer, reviewer, sdet, maxIterations, costCap, architectModel, rehearse, script, overlap, checks, noMemory, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(issues) is not null && r.GetValue(label) is not null)
            {
                r.AddError("--issues and --label each choose the issues in scope: give one of them");
            }

            if (r.GetValue(script) is not null && !r.GetValue(rehearse))
            {
                r.AddError("--script is the rehearsal's script: it needs --rehearse");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var repository = await RepositoryTopAsync(console, parse.GetValue(repo)!, cancellationToken);
            var forgeSettings = ForgeOf(console, parse.GetValue(localForge));
            var squadSettings = new SquadSettings(
                Role(parse.GetValue(developer), "--developer", SquadSettings.Default.Developer),
                Role(parse.GetValue(reviewer), "--reviewer", SquadSettings.Default.Reviewer),
                Role(parse.GetValue(sdet), "--sdet", SquadSettings.Default.Sdet))
            {
                MaxIterations = parse.GetValue(maxIterations) is { } m ? (m >= 1 ? m : throw new CliException("--max-iterations: at least 1")) : SquadSettings.Default.MaxIterations,
                CostCapUsd = parse.GetValue(costCap) is { } c ? (c > 0 ? c : throw new CliException("--cost-cap: more than 0")) : null,
            };
            var layout = new TeamLayout(repository);
            var outFile = parse.GetValue(output) is { } o ? CommandHelpers.Resolve(console, o) : layout.DefaultPlanFile;
            var footprintFile = parse.GetValue(footprints) is { } f ? CommandHelpers.Resolve(console, f) : null;
            var request = new TeamPlanRequest
            {
                Repository = repository,
                Base = parse.GetValue(baseBranch),
                Forge = forgeSettings,
                Issues = ParseNumbers(parse.GetValue(issues), "--issues"),
                Label = parse.GetValue(label),
                SharedFolders = parse.GetValue(shared) ?? [],
                Squad = squadSettings,
                MaxSquads = SquadBound.ForThisMachine(),
                FootprintsFile = footprintFile,
                StateDir = layout.StateDir,
                NoMemory = parse.GetValue(noMemory),
                Overlap = parse.GetValue(overlap) ?? OverlapModes.Default,
                ChecksCommand = parse.GetValue(checks),
            };
            var forge = OpenForge(forgeSettings, repository);
            var rehearsal = parse.GetValue(rehearse);
            var givenScript = parse.GetValue(script) is { } scriptFile ? ReadScript(console, scriptFile) : null;
            var architect = new TeamArchitect(repository, layout.StateDir, parse.GetValue(architectModel), rehearsal, givenScript);
            try
            {
                var plan = await new TeamPlanner(forge, architect.RunAsync, TimeProvider.System, Progress(console)).PlanAsync(request, cancellationToken);
                TeamPlanFile.Save(plan, outFile);
                if (parse.GetValue(json))
                {
                    await console.Out.WriteAsync(TeamPlanFile.ToJson(plan));
                    await console.Error.WriteLineAsync($"plan written to {outFile}");
                }
                else
                {
                    await console.Out.WriteAsync(PlanTable.Render(plan));
                    await console.Out.WriteLineAsync($"plan written to {outFile}: edit it if you like, then run it with: fleet team run {outFile}{(rehearsal ? " --rehearse" : "")}");
                }

                return ExitCodes.Success;
            }
            catch (Exception e) when (e is TeamException or PlanException or ArchitectException or ForgeException or GitException or RehearsalScriptException)
            {
                throw new CliException(e.Message.EndsWith("nothing was planned", StringComparison.Ordinal) ? e.Message : $"{e.Message}; nothing was planned");
            }
        });
        return command;
    }

    private static Command Run(ICliConsole console)
    {
        var planArg = new Argument<string?>("PLAN") { Description = "The plan (default: .fleet/team/plan.json of the repository in the current folder).", Arity = ArgumentArity.ZeroOrOne };
        var rehearse = new Option<bool>("--rehearse") { Description = "Run every squad's real agent CLIs against fleet's scripted endpoint on 127.0.0.1: no key, no model spend." };
        var script = new Option<string?>("--script") { Description = "With --rehearse: the squads' rehearsal script (default: the developer commits a change, the SDET reports, the reviewer approves)." };
        var tmux = new Option<bool>("--tmux") { Description = "Run each squad's workers in tmux windows (the default when tmux is installed)." };
        var noTmux = new Option<bool>("--no-tmux") { Description = "Run workers in the background." };
        var wait = new Option<bool>("--wait") { Description = "Follow the run to its end (its progress on stderr) and exit with its outcome (0 all approved, 1 one was not, 3 one needs a person)." };
        var noMemory = LaunchCommand.NoMemoryOption();
        var merge = new Option<bool>("--merge") { Description = "Merge each wave's approved pull requests (team merge's rules: lgtm at the current head, checks green) before the next wave starts; without it, an issue that needs another is stacked on its branch." };
        var maxSquads = new Option<int?>("--max-squads") { Description = "At most N squads of a wave at once; the others wait their turn (default: the plan's max_squads, from the planning machine's cores and memory)." };
        var costCap = new Option<decimal?>("--cost-cap") { Description = "The whole run's cap, in US dollars: checked before each squad starts and, through each squad's share, before each of its spawns." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("run", "Start a plan's team run in the background (fleet team status|resume|kill): wave by wave, a squad per issue (an iterative fleet), verdicts posted on each pull request, the run's retro posted with label fleet-retro.")
        {
            planArg, rehearse, script, tmux, noTmux, merge, maxSquads, costCap, wait, noMemory, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(tmux) && r.GetValue(noTmux))
            {
                r.AddError("--tmux and --no-tmux contradict each other: choose one");
            }

            if (r.GetValue(script) is not null && !r.GetValue(rehearse))
            {
                r.AddError("--script is the rehearsal's script: it needs --rehearse");
            }

            if (r.GetValue(maxSquads) is < 1)
            {
                r.AddError("--max-squads: at least 1");
            }

            if (r.GetValue(costCap) is <= 0)
            {
                r.AddError("--cost-cap: more than 0");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (plan, planFile) = await LoadPlanAsync(console, parse.GetValue(planArg), cancellationToken);
            string? rehearsalScript = null;
            if (parse.GetValue(rehearse))
            {
                rehearsalScript = parse.GetValue(script) is { } s ? ReadScript(console, s) : TeamRehearsalScript.Json();
            }

            var preference = parse.GetValue(tmux) ? TmuxPreference.Always : parse.GetValue(noTmux) ? TmuxPreference.Never : TmuxPreference.Auto;
            var byNumber = plan.Issues.ToDictionary(i => i.Number);
            var settings = new TeamRunSettings(
                plan.Repo, plan.Base, plan.Forge,
                TeamRunWaves.From(plan),
                plan.Squad.Developer, plan.Squad.Reviewer, plan.Squad.Sdet, plan.Squad.MaxIterations, plan.Squad.ReviewerLgtmCount, plan.Squad.CostCapUsd,
                SelfCommand.Argv(console), rehearsalScript, planFile)
            {
                Taken = [.. plan.Issues.Where(i => i.Taken is not null).Select(i => new RunIssue(i.Number, i.Title, i.Url, i.Footprint.Needs, i.Taken))],
                NoMemory = parse.GetValue(noMemory),
                MergeApproved = parse.GetValue(merge),
                Checks = plan.Checks,
                MaxSquads = parse.GetValue(maxSquads) ?? plan.MaxSquads ?? SquadBound.ForThisMachine(),
                TeamCostCapUsd = parse.GetValue(costCap),
            };
            var forge = OpenForge(plan.Forge, plan.Repo);
            var check = await forge.CheckAsync(cancellationToken);
            if (!check.Ok)
            {
                throw new CliException($"{check.Message}; nothing was started");
            }

            var started = await new StartTeamRun(CommandHelpers.Host(console)).RunAsync(settings, parse.GetValue(rehearse), preference, settings.FleetCommand, cancellationToken);
            if (parse.GetValue(wait))
            {
                return await TeamRunCommands.FollowAsync(console, started.RunDir, parse.GetValue(json), TimeProvider.System, cancellationToken);
            }

            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, new TeamRunStartedJson(started.Run, started.RunDir, started.Orchestrator.Pid, RunArms.Of(RunArms.Journaled(settings.NoMemory))), TeamCliJsonContext.Default.TeamRunStartedJson);
            }
            else
            {
                await console.Out.WriteLineAsync($"team run {started.Run} started in the background (orchestrator pid {started.Orchestrator.Pid}{(settings.NoMemory ? "; no-memory arm" : "")})");
                await console.Out.WriteLineAsync($"  status: fleet team status {started.Run}\n  resume: fleet team resume {started.Run}\n  kill:   fleet team kill {started.Run}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Merge(ICliConsole console)
    {
        var planArg = new Argument<string?>("PLAN") { Description = "The plan whose pull requests to merge (default: .fleet/team/plan.json of the repository in the current folder).", Arity = ArgumentArity.ZeroOrOne };
        var prs = new Option<int[]>("--pr") { Description = "Only these pull requests (repeatable).", AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be merged and refused; merge nothing." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("merge", "Merge the plan's pull requests whose latest verdict is lgtm for their current head commit; refuse the rest, saying why.")
        {
            planArg, prs, dryRun, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (plan, _) = await LoadPlanAsync(console, parse.GetValue(planArg), cancellationToken);
            var forge = OpenForge(plan.Forge, plan.Repo);
            var numbers = parse.GetValue(prs) is { Length: > 0 } given ? given.ToList() : await PlanPullRequestsAsync(forge, plan, cancellationToken);
            var decisions = new List<MergeDecision>();
            foreach (var number in numbers)
            {
                try
                {
                    decisions.Add(await TeamMerger.DecideAndMergeAsync(forge, number, parse.GetValue(dryRun), cancellationToken));
                }
                catch (ForgeException e)
                {
                    decisions.Add(new MergeDecision(number, "", MergeDecision.RefusedAction, e.Message));
                }
            }

            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, decisions, TeamCliJsonContext.Default.ListMergeDecision);
            }
            else
            {
                foreach (var d in decisions)
                {
                    await console.Out.WriteLineAsync($"#{d.PullRequest} {d.Action}: {d.Reason}");
                }

                if (decisions.Count == 0)
                {
                    await console.Out.WriteLineAsync("no open pull request of this plan's issues");
                }
            }

            return decisions.Any(d => d.Refused) ? ExitCodes.Failed : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The squads' own step between developer and SDET; runs as a command worker of the squad's fleet.</summary>
    private static Command Publish(ICliConsole console)
    {
        var root = new Argument<string>("SQUAD_ROOT") { Description = "The squad's fleet root." };
        var iteration = new Option<int>("--iteration") { Description = "The iteration being published.", Required = true };
        var command = new Command("publish", "Internal: a squad's publish worker (commit what was left, push, open or update the pull request, wait for its checks).") { root, iteration };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var squadRoot = CommandHelpers.Resolve(console, parse.GetValue(root)!);
            try
            {
                var squad = SquadDefinition.Load(squadRoot);
                var forge = OpenForge(squad.Forge, squad.Repository);
                var record = await SquadPublisher.PublishAsync(squadRoot, parse.GetValue(iteration), forge, GitCli.Default, cancellationToken);
                await console.Out.WriteLineAsync($"{(record.Created ? "opened" : "updated")} pull request #{record.PullRequest} ({record.Url}): {record.Commits} commits, head {record.Head}");
                var checks = await SquadChecks.RunAsync(squadRoot, squad, record, forge, TimeProvider.System, cancellationToken);
                await console.Out.WriteLineAsync(checks.IsGreen
                    ? "checks: green"
                    : $"checks: {checks.Status} ({checks.Summary}): the developer's and the reviewer's briefs say so, and this head cannot be approved");
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is TeamException or ForgeException or GitException or WorktreeException or InvalidDataException)
            {
                await console.Error.WriteLineAsync($"publish: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static async Task<List<int>> PlanPullRequestsAsync(IForge forge, TeamPlan plan, CancellationToken cancellationToken)
    {
        var issues = plan.Issues.Select(i => i.Number).ToHashSet();
        return [.. (await forge.ListOpenPullRequestsAsync(cancellationToken))
            .Where(p => issues.Any(n => p.HeadBranch == TeamLayout.Branch(n)))
            .Select(p => p.Number)
            .Order()];
    }

    private static async Task<(TeamPlan Plan, string File)> LoadPlanAsync(ICliConsole console, string? given, CancellationToken cancellationToken)
    {
        string file;
        if (given is not null)
        {
            file = CommandHelpers.Resolve(console, given);
        }
        else
        {
            var top = await RepositoryTopAsync(console, ".", cancellationToken);
            file = new TeamLayout(top).DefaultPlanFile;
        }

        if (!InputFiles.Exists(file, given ?? file))
        {
            throw new CliException($"{given ?? file}: no such plan (make one with: fleet team plan)");
        }

        try
        {
            return (TeamPlanFile.Load(file, given), file);
        }
        catch (PlanException e)
        {
            throw new CliException($"{e.Message}\nnothing was started");
        }
    }

    private static async Task<string> RepositoryTopAsync(ICliConsole console, string given, CancellationToken cancellationToken)
    {
        var full = CommandHelpers.Resolve(console, given);
        if (!Directory.Exists(full))
        {
            throw new CliException($"{given}: no such folder");
        }

        try
        {
            return await new WorktreeManager().RepositoryTopAsync(full, cancellationToken);
        }
        catch (GitException)
        {
            throw new CliException($"{given}: not inside a git repository (team mode works on a repository's issues); nothing was planned");
        }
    }

    private static ForgeSettingsRecord ForgeOf(ICliConsole console, string? localForge) =>
        localForge is null
            ? new ForgeSettingsRecord(ForgeSettingsRecord.GitHub, null)
            : new ForgeSettingsRecord(ForgeSettingsRecord.Local, CommandHelpers.Resolve(console, localForge));

    private static IForge OpenForge(ForgeSettingsRecord forge, string repository) =>
        ForgeFactory.Open(ForgeSettings.Parse(forge.Kind, forge.Path), repository);

    private static RoleSettings Role(string? text, string option, RoleSettings fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        var parts = text.Split('/', 2);
        return parts[0] is "claude" or "codex"
            ? new RoleSettings(parts[0], parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null)
            : throw new CliException($"{option} {text}: the provider is claude or codex (PROVIDER[/MODEL], e.g. codex/gpt-5-codex)");
    }

    private static List<int>? ParseNumbers(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        var numbers = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            numbers.Add(int.TryParse(part.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new CliException($"{option} {text}: \"{part}\" is not an issue number (12,15)"));
        }

        return numbers.Count > 0 ? numbers : throw new CliException($"{option}: give at least one issue number (12,15)");
    }

    private static string ReadScript(ICliConsole console, string given)
    {
        var file = CommandHelpers.Resolve(console, given);
        try
        {
            var text = InputFiles.ReadText(file, given);
            RehearsalScript.Parse(text);
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RehearsalScriptException)
        {
            throw new CliException($"{given}: {e.Message}; nothing was started");
        }
    }

    private static Action<string> Progress(ICliConsole console) => line => console.Error.WriteLine(line);
}

/// <summary><c>team run --json</c> without <c>--wait</c>: the run that was started.</summary>
internal sealed record TeamRunStartedJson(string Run, string RunDir, int OrchestratorPid, string Arm);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<MergeDecision>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(TeamRunStartedJson))]
internal sealed partial class TeamCliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
