using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Doctrine;
using Fleet.DryRun;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Providers;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.State;

namespace Fleet.Cli.Commands;

internal static class LaunchCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root (the folder holding fleet.json)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan (layers, commands, stop rules) and start nothing." };
        var rehearse = new Option<bool>("--rehearse") { Description = "Run the real agent CLIs against fleet's scripted model endpoint on 127.0.0.1: no key, no model spend." };
        var wait = new Option<bool>("--wait") { Description = "Follow the run to its end and exit with its outcome (0 success, 1 failed, 3 needs a person)." };
        var tmux = new Option<bool>("--tmux") { Description = "Run each worker in a window of the fleet's tmux session, fleet-<name>-<root key> (the default when tmux is installed)." };
        var noTmux = new Option<bool>("--no-tmux") { Description = "Run workers in the background; their readable views go to iterations/N/<id>.shim.log." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("launch", "Start a fleet: the orchestrator runs in the background; this prints the commands to watch, pause and kill it.")
        {
            root, dryRun, rehearse, wait, tmux, noTmux, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(tmux) && r.GetValue(noTmux))
            {
                r.AddError("--tmux and --no-tmux contradict each other: choose one");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var result = CommandHelpers.Validate(console, displayRoot);
            await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
            if (result.Fleet is not { } fleet)
            {
                await console.Error.WriteLineAsync($"{result.File}: {CommandHelpers.Plural(result.Errors.Count(), "error")}; nothing was started");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(dryRun))
            {
                // Everything a launch reads is checked here too, so a dry run that passes means the launch's files do.
                if (parse.GetValue(rehearse))
                {
                    RehearsalScriptFor(fleet);
                }

                ReadPreconditions(fleet);
                var plan = LaunchPlan.Create(fleet);
                if (parse.GetValue(json))
                {
                    await CommandHelpers.WriteJsonAsync(console, ToJson(plan, result.Warnings), CliJsonContext.Default.DryRunJson);
                }
                else
                {
                    await console.Out.WriteAsync(Render(plan));
                }

                return ExitCodes.Success;
            }

            var preference = parse.GetValue(tmux) ? TmuxPreference.Always : parse.GetValue(noTmux) ? TmuxPreference.Never : TmuxPreference.Auto;
            return await LaunchAsync(console, fleet, displayRoot, parse.GetValue(rehearse), parse.GetValue(wait), parse.GetValue(json), preference, cancellationToken);
        });
        return command;
    }

    /// <summary>A launched fleet: its run, its orchestrator, how its workers run.</summary>
    internal sealed record Launched(string Run, FleetLayout Layout, OrchestratorInfo Orchestrator, SpawnerChoice Spawner);

    private static async Task<int> LaunchAsync(ICliConsole console, ResolvedFleet fleet, string displayRoot, bool rehearse, bool wait, bool json, TmuxPreference preference, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var (run, layout, orchestrator, spawner) = await StartAsync(console, fleet, displayRoot, rehearse, preference, time, cancellationToken);
        var spawnMode = spawner.Mode;
        var info = $"launched \"{fleet.Name}\" ({fleet.Type.Name()}, run {run}, orchestrator pid {orchestrator.Pid}{(rehearse ? $"; rehearsal: no model spend{(File.Exists(layout.RehearsalFile) ? ", script rehearsal.json" : "")}" : "")})\n" +
            $"  workers: {spawner.Reason}{(spawnMode == "tmux" ? $"; watch them with: fleet attach {displayRoot}" : "")}\n" +
            $"  status: fleet status {displayRoot}\n  pause:  fleet pause {displayRoot}\n  kill:   fleet kill {displayRoot}";
        if (json)
        {
            await console.Out.WriteLineAsync($"{{\"run\":\"{run}\",\"root\":{System.Text.Json.JsonSerializer.Serialize(layout.Root, CliJsonContext.Default.String)},\"orchestrator_pid\":{orchestrator.Pid}}}");
            await console.Error.WriteLineAsync(info);
        }
        else
        {
            await console.Out.WriteLineAsync(info);
        }

        return wait ? await RunFollower.FollowAsync(console, layout, run, time, cancellationToken) : ExitCodes.Success;
    }

    /// <summary>
    /// Everything of a launch but the printing: the checks (each failure a usage error, nothing started), the run's start,
    /// the detached orchestrator. From the authoritative look at the run's state until the orchestrator holds the root's
    /// lock, this launcher holds the root's <see cref="LaunchLock"/>, so two launches of one root never both begin a run.
    /// </summary>
    internal static async Task<Launched> StartAsync(ICliConsole console, ResolvedFleet fleet, string displayRoot, bool rehearse, TmuxPreference preference, TimeProvider time, CancellationToken cancellationToken)
    {
        var layout = new FleetLayout(fleet.Root);

        // A quick look first, so a fleet that runs is reported as running rather than by a check its own run upsets. The
        // rest waits for the lock: without it, a run begun by a launch under way would look like one left unended.
        if (FleetRuns.Load(layout).Ended is null && OrchestratorInfo.Running(layout) is { } running)
        {
            throw AlreadyRunning(fleet, running, displayRoot);
        }

        // The checks that write nothing, before the lock (which creates .fleet/): a launch that fails them leaves the root as it was.
        FleetProcesses.RequireAgentClis(console, fleet);
        if (fleet.Type == FleetType.Worktree)
        {
            await FleetProcesses.RequireRepositoryAsync(fleet, displayRoot, cancellationToken);
        }

        if (rehearse)
        {
            RehearsalScriptFor(fleet);
        }

        await RequirePreconditionsAsync(fleet, cancellationToken);

        var spawner = await FleetProcesses.SpawnerAsync(console, preference, cancellationToken);
        using var launchLock = await FleetProcesses.TakeLaunchLockAsync(layout, fleet.Name, "launch", displayRoot, time, cancellationToken);
        await RequireNoRunAsync(layout, fleet, displayRoot, cancellationToken);
        var run = await FleetRuns.BeginAsync(layout, fleet.Name, fleet.Type.Name(), spawner.Mode, rehearse, time, cancellationToken);
        var orchestrator = await FleetProcesses.StartOrchestratorAsync(console, layout, rehearse, time, cancellationToken);
        new FleetRegistry(new UserDirs(console.GetEnvironmentVariable)).Register(layout.Root, fleet.Name, time);
        return new Launched(run, layout, orchestrator, spawner);
    }

    /// <summary>No orchestrator runs at the root and its last run has ended (checked under the launch lock); otherwise a usage error that says what to do.</summary>
    private static async Task RequireNoRunAsync(FleetLayout layout, ResolvedFleet fleet, string displayRoot, CancellationToken cancellationToken)
    {
        // The last run has ended but its orchestrator may still be on its way out: that is not "running".
        if (FleetRuns.Load(layout).Ended is not null)
        {
            await FleetProcesses.WaitForOrchestratorExitAsync(layout, cancellationToken);
        }

        if (OrchestratorInfo.Running(layout) is not null || FleetLock.IsHeld(layout))
        {
            throw AlreadyRunning(fleet, OrchestratorInfo.Running(layout), displayRoot);
        }

        var previous = FleetRuns.Load(layout);
        if (previous.RunId is not null && previous.Ended is null)
        {
            throw new CliException($"the last run of \"{fleet.Name}\" ({previous.RunId}) has not ended: continue it with fleet resume {displayRoot}, or end it with fleet kill {displayRoot}; nothing was started");
        }
    }

    private static CliException AlreadyRunning(ResolvedFleet fleet, OrchestratorInfo? running, string displayRoot)
    {
        var who = running is { } r ? $" (orchestrator pid {r.Pid}, since {r.StartedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss})" : string.Empty;
        return new CliException($"fleet \"{fleet.Name}\" is already running{who}; watch it with: fleet status {displayRoot}; nothing was started");
    }

    /// <summary>The script a rehearsal plays (the root's rehearsal.json, else the default); a broken script is a usage error.</summary>
    internal static RehearsalScript RehearsalScriptFor(ResolvedFleet fleet)
    {
        try
        {
            return FleetRehearsalScript.For(fleet);
        }
        catch (RehearsalScriptException e)
        {
            throw new CliException($"{e.Message}; nothing was started");
        }
    }

    /// <summary>The doctrine's step-0 preconditions (<c>.fleet/preconditions.json</c>), checked before anything is written or started.</summary>
    private static async Task RequirePreconditionsAsync(ResolvedFleet fleet, CancellationToken cancellationToken)
    {
        var preconditions = ReadPreconditions(fleet);
        if (await PreconditionCheck.FirstFailureAsync(fleet.Root, preconditions, cancellationToken) is { } failed)
        {
            throw new CliException($"{failed.Describe()}; nothing was started (the preconditions are in {DoctrineFiles.PreconditionsFileName})");
        }
    }

    private static IReadOnlyList<Precondition> ReadPreconditions(ResolvedFleet fleet)
    {
        try
        {
            // The doctrine is read at each spawn: an odd file there would fail every worker after the start.
            InputFiles.Exists(DoctrineFiles.Doctrine(fleet.Root), DoctrineFiles.DoctrineFileName);
            return DoctrineFiles.ReadPreconditions(fleet.Root);
        }
        catch (Exception e) when (e is InvalidDataException or InputFileException)
        {
            throw new CliException($"{e.Message}; nothing was started");
        }
    }

    internal static string Render(LaunchPlan plan)
    {
        var fleet = plan.Fleet;
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"fleet \"{fleet.Name}\" ({fleet.Type.Name()}) at {fleet.Root}");
        w.WriteLine($"stop rules: {plan.StopRulesLine}");
        w.WriteLine($"max concurrent: {fleet.MaxConcurrent}");
        w.WriteLine($"iteration 1: {plan.LayerLine}");
        if (fleet.Type == FleetType.Iterative && fleet.StopRules.MaxIterations > 1)
        {
            w.WriteLine($"iterations 2..{fleet.StopRules.MaxIterations}: the same layers, while the reviewer's verdict is iterate (claude workers --resume their session, codex workers resume their thread)");
        }

        w.WriteLine();
        w.WriteLine("workers:");
        foreach (var planned in plan.Workers)
        {
            var worker = planned.Worker;
            var brief = worker.Provider == Provider.Command ? "" : $", brief: {planned.PromptSource}";
            w.WriteLine($"  {worker.Id} ({worker.Type.Name()}, {Describe(worker)}){brief}");
            w.WriteLine($"    $ {ShellQuote.Join(planned.Argv)}");
            if (worker.Provider == Provider.Claude)
            {
                w.WriteLine("    stdin: the brief as a stream-json user message; permission requests answered by fleet's gates (rules, else fleet inbox)");
            }
        }

        w.WriteLine();
        w.WriteLine("dry run: nothing was started and nothing was written");
        return w.ToString();
    }

    private static string Describe(ResolvedWorker worker)
    {
        if (worker.Provider == Provider.Command)
        {
            return "command";
        }

        var parts = new List<string> { worker.Provider.Name(), worker.Model ?? "default model" };
        if (worker.FallbackModel is { } fallback && worker.Provider == Provider.Claude)
        {
            parts.Add($"fallback {fallback}");
        }

        if (worker.ReasoningEffort is { } effort)
        {
            parts.Add($"effort {effort.Name()}");
        }

        if (worker.MaxBudgetPerIter is { } budget && worker.Provider == Provider.Claude)
        {
            parts.Add($"budget ${budget.ToString("0.00", CultureInfo.InvariantCulture)}/iteration");
        }

        return string.Join(", ", parts);
    }

    private static DryRunJson ToJson(LaunchPlan plan, IEnumerable<Validation.Diagnostic> warnings)
    {
        var fleet = plan.Fleet;
        var stop = new StopRulesJson(fleet.Type == FleetType.Iterative ? fleet.StopRules.ReviewerLgtmCount : null, fleet.StopRules.MaxIterations, fleet.StopRules.CostCapUsd);
        var workers = plan.Workers.Select(p => new PlannedWorkerJson(
            p.Worker.Id, p.Worker.Type.Name(), p.Worker.Provider.Name(), p.Worker.Model, p.Worker.FallbackModel, p.Worker.ReasoningEffort?.Name(),
            p.Worker.MaxBudgetPerIter, p.Layer, p.PromptSource, p.Argv, p.Worker.DependsOn)).ToList();
        return new DryRunJson(fleet.Root, fleet.Name, fleet.Type.Name(), fleet.MaxConcurrent, plan.Layers, stop, workers, [.. warnings.Select(CommandHelpers.ToJson)]);
    }
}
