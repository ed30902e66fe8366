using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.DryRun;
using Fleet.Orchestration.Spawning;
using Fleet.Pricing;
using Fleet.Providers;
using Fleet.Spec;
using Fleet.UseCases;

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
        var noMemory = NoMemoryOption();
        var placement = new Option<string?>("--placement")
        {
            Description = "With --dry-run: show the plan as if every worker had this placement: local, slurm (the sbatch argv), or kubernetes (the Job manifests; designed, not run: docs/scale-out.md).",
        };
        placement.AcceptOnlyFromAmong("local", "slurm", "kubernetes");
        var json = CommandHelpers.JsonOption();
        var command = new Command("launch", "Start a fleet: the orchestrator runs in the background; this prints the commands to watch, pause and kill it.")
        {
            root, dryRun, rehearse, wait, tmux, noTmux, noMemory, placement, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(tmux) && r.GetValue(noTmux))
            {
                r.AddError("--tmux and --no-tmux contradict each other: choose one");
            }

            if (r.GetValue(placement) is not null && !r.GetValue(dryRun))
            {
                r.AddError("--placement works with --dry-run only: a run's placement is config.placement in fleet.json (local or slurm)");
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
                if (parse.GetValue(placement) == "kubernetes")
                {
                    var manifests = Placement.KubernetesJobs.Manifests(fleet, fleet.Graph.Layers().SelectMany(l => l));
                    await console.Out.WriteLineAsync(manifests.ToJsonString(JsonText.Indented));
                    await console.Error.WriteLineAsync("dry run: the Kubernetes Jobs of iteration 1 (kubernetes placement is designed, not run: docs/scale-out.md); nothing was started");
                    return ExitCodes.Success;
                }

                if (parse.GetValue(placement) is { } forced)
                {
                    fleet = WithPlacement(fleet, forced == "slurm" ? WorkerPlacement.Slurm : WorkerPlacement.Local);
                }

                var plan = await LaunchFleet.DryRunAsync(fleet, parse.GetValue(rehearse), null, cancellationToken);
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

            var request = new LaunchFleetRequest(fleet, displayRoot, SelfCommand.Argv(console))
            {
                Rehearse = parse.GetValue(rehearse),
                Tmux = parse.GetValue(tmux) ? TmuxPreference.Always : parse.GetValue(noTmux) ? TmuxPreference.Never : TmuxPreference.Auto,
                NoMemory = parse.GetValue(noMemory),
            };
            var launched = await new LaunchFleet(CommandHelpers.Host(console)).RunAsync(request, cancellationToken);
            await RenderAsync(console, fleet, displayRoot, request.Rehearse, launched, parse.GetValue(json));
            return parse.GetValue(wait) ? await RunFollower.FollowAsync(console, launched.Layout, launched.Run, TimeProvider.System, cancellationToken) : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The memory experiment's control arm, for launch and team run alike.</summary>
    internal static Option<bool> NoMemoryOption() => new("--no-memory")
    {
        Description = "Run without anything carried from earlier runs (no doctrine in the briefs, no allow rules from .fleet/gates.json, no preconditions; fleet.json's own rules stay): the control arm of the memory experiment (docs/flywheel.md).",
    };

    private static async Task RenderAsync(ICliConsole console, ResolvedFleet fleet, string displayRoot, bool rehearse, LaunchFleetResult launched, bool json)
    {
        var (run, layout, orchestrator, spawner) = (launched.Run, launched.Layout, launched.Orchestrator, launched.Spawner);
        var info = $"launched \"{fleet.Name}\" ({fleet.Type.Name()}, run {run}, orchestrator pid {orchestrator.Pid}{(rehearse ? $"; rehearsal: no model spend{(launched.RehearsalFile ? ", script rehearsal.json" : "")}" : "")}{(launched.NoMemory ? "; no-memory arm: nothing carried from earlier runs" : "")})\n" +
            $"  workers: {spawner.Reason}{(spawner.Mode == "tmux" ? $"; watch them with: fleet attach {displayRoot}" : "")}\n" +
            $"  status: fleet status {displayRoot}\n  pause:  fleet pause {displayRoot}\n  kill:   fleet kill {displayRoot}";
        if (json)
        {
            await console.Out.WriteLineAsync($"{{\"run\":\"{run}\",\"root\":{CommandHelpers.Json(layout.Root, CliJsonContext.Default.String)},\"orchestrator_pid\":{orchestrator.Pid}}}");
            await console.Error.WriteLineAsync(info);
        }
        else
        {
            await console.Out.WriteLineAsync(info);
        }
    }

    private static ResolvedFleet WithPlacement(ResolvedFleet fleet, WorkerPlacement placement) => fleet with
    {
        Workers = [.. fleet.Workers.Select(w => w with { Placement = placement, Slurm = placement == WorkerPlacement.Slurm ? w.Slurm ?? SlurmSettings.Default : null })],
    };

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
            w.WriteLine($"iterations 2..{fleet.StopRules.MaxIterations}: the same layers, while the reviewer's verdict is iterate (claude workers --resume their session, codex workers resume their thread, gemini workers load their session)");
        }

        w.WriteLine();
        w.WriteLine("workers:");
        foreach (var planned in plan.Workers)
        {
            var worker = planned.Worker;
            var brief = worker.Provider == Provider.Command ? "" : $", brief: {planned.PromptSource}";
            w.WriteLine($"  {worker.Id} ({worker.Type.Name()}, {Describe(worker)}){brief}");
            w.WriteLine($"    $ {ShellQuote.Join(planned.Argv)}");
            if (planned.Sbatch is { } sbatch)
            {
                w.WriteLine($"    on slurm, its shim as a batch job: $ {ShellQuote.Join(sbatch)}");
            }
            if (worker.Provider == Provider.Claude)
            {
                w.WriteLine("    stdin: the brief as a stream-json user message; permission requests answered by fleet's gates (rules, else fleet inbox)");
            }
            else if (worker.Provider == Provider.Codex)
            {
                w.WriteLine(plan.CodexAppServer
                    ? "    stdin: JSON-RPC (thread/start or thread/resume, turn/start with the brief); approval requests answered by fleet's gates (rules, else fleet inbox)"
                    : "    " + Fleet.Providers.CodexAppServerProbe.Describe(false));
            }
            else if (worker.Provider == Provider.Gemini)
            {
                w.WriteLine("    stdin: ACP (session/new or session/load, session/prompt with the brief); permission requests answered by fleet's gates (rules, else fleet inbox)");
                w.WriteLine($"    gates: {Fleet.Providers.GeminiGates.Describe(worker.PermissionMode)}");
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
            parts.Add($"budget {Usd.Text(budget)}/iteration");
        }

        return string.Join(", ", parts);
    }

    private static DryRunJson ToJson(LaunchPlan plan, IEnumerable<Validation.Diagnostic> warnings)
    {
        var fleet = plan.Fleet;
        var stop = new StopRulesJson(fleet.Type == FleetType.Iterative ? fleet.StopRules.ReviewerLgtmCount : null, fleet.StopRules.MaxIterations, fleet.StopRules.CostCapUsd);
        var workers = plan.Workers.Select(p => new PlannedWorkerJson(
            p.Worker.Id, p.Worker.Type.Name(), p.Worker.Provider.Name(), p.Worker.Model, p.Worker.FallbackModel, p.Worker.ReasoningEffort?.Name(),
            p.Worker.MaxBudgetPerIter, p.Layer, p.PromptSource, p.Argv, p.Worker.DependsOn)
        {
            Placement = p.Worker.Placement.Name(),
            Sbatch = p.Sbatch,
        }).ToList();
        return new DryRunJson(fleet.Root, fleet.Name, fleet.Type.Name(), fleet.MaxConcurrent, plan.Layers, stop, workers, [.. warnings.Select(CommandHelpers.ToJson)]);
    }
}
