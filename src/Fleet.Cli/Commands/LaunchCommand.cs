using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Planning;
using Fleet.Providers;
using Fleet.Spec;

namespace Fleet.Cli.Commands;

internal static class LaunchCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root (the folder holding fleet.json)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan (layers, commands, stop rules) and start nothing." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("launch", "Start a fleet. For now only --dry-run: running fleets arrives with the orchestrator.") { root, dryRun, json };
        command.SetAction(async (parse, _) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var result = CommandHelpers.Validate(console, displayRoot);
            await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
            if (result.Fleet is not { } fleet)
            {
                await console.Error.WriteLineAsync($"{result.File}: {CommandHelpers.Plural(result.Errors.Count(), "error")}; nothing was started");
                return ExitCodes.Usage;
            }

            if (!parse.GetValue(dryRun))
            {
                throw new CliException("this build of fleet can only plan a launch: add --dry-run (running fleets arrives with the orchestrator); nothing was started");
            }

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
        });
        return command;
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
