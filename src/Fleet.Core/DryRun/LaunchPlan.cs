using Fleet.Pricing;
using Fleet.Providers;
using Fleet.Spec;
using Fleet.State;

namespace Fleet.DryRun;

/// <summary>One worker as the first iteration would start it.</summary>
/// <param name="Worker">The resolved worker.</param>
/// <param name="Layer">Its layer, from 0.</param>
/// <param name="PromptSource">Where its brief comes from, relative to the root (or "task").</param>
/// <param name="Argv">The exact argv, with the brief and the fleet context replaced by short placeholders for display.</param>
/// <param name="Sbatch">A slurm worker's sbatch argv (its shim as a batch job); null for a local worker.</param>
public sealed record PlannedWorker(ResolvedWorker Worker, int Layer, string PromptSource, IReadOnlyList<string> Argv, IReadOnlyList<string>? Sbatch = null);

/// <summary>What <c>fleet launch --dry-run</c> shows: layers, workers with their command lines, stop rules. Reads only.</summary>
/// <param name="CodexAppServer">Codex workers run under <c>codex app-server</c>; false: as <c>codex exec</c> (this codex has no app-server).</param>
public sealed record LaunchPlan(ResolvedFleet Fleet, IReadOnlyList<IReadOnlyList<string>> Layers, IReadOnlyList<PlannedWorker> Workers, bool CodexAppServer = true)
{
    public const string SessionPlaceholder = "<session-uuid>";

    /// <summary>Stands for the launching fleet's own command in a slurm worker's shim argv.</summary>
    public const string FleetPlaceholder = "<fleet>";

    public static LaunchPlan Create(ResolvedFleet fleet, bool codexAppServer = true)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var layout = new FleetLayout(fleet.Root);
        var layers = fleet.Graph.Layers();
        var planned = new List<PlannedWorker>();
        for (var layer = 0; layer < layers.Count; layer++)
        {
            foreach (var id in layers[layer])
            {
                var worker = fleet.Worker(id);
                var promptFile = File.Exists(layout.PromptFile(id)) ? layout.PromptFile(id) : layout.TaskPromptFile(1, id);
                var source = File.Exists(layout.PromptFile(id)) ? layout.Relative(layout.PromptFile(id)) : "task";
                var context = new InvocationContext(
                    Root: layout.Root,
                    Iteration: 1,
                    WorkingDirectory: layout.Root,
                    Prompt: $"<brief from {source}>",
                    PromptFile: promptFile,
                    FleetContext: "<fleet context>",
                    SessionId: worker.Provider == Provider.Claude ? SessionPlaceholder : null,
                    Resume: false,
                    LastMessageFile: layout.LastMessageFile(1, id),
                    AskRules: worker.Provider == Provider.Claude ? AgentCommand.AskRules(fleet.Gates) : null,
                    CodexAppServer: codexAppServer);
                planned.Add(new PlannedWorker(worker, layer, source, AgentCommand.Build(worker, context), SbatchOf(fleet, layout, worker)));
            }
        }

        return new LaunchPlan(fleet, layers, planned, codexAppServer);
    }

    private static IReadOnlyList<string>? SbatchOf(ResolvedFleet fleet, FleetLayout layout, ResolvedWorker worker)
    {
        if (worker.Placement != WorkerPlacement.Slurm)
        {
            return null;
        }

        var settings = worker.Slurm ?? SlurmSettings.Default;
        var iterationDir = layout.IterationDir(1);
        IReadOnlyList<string> shim = [.. Placement.SlurmJob.FleetCommand(settings, layout.Root, [FleetPlaceholder]), "worker", "--spec", Path.Combine(iterationDir, $"{worker.Id}.spec.json")];
        return Placement.SlurmJob.SbatchArgv(fleet.Name, layout.Root, worker.Id, 1, settings, Path.Combine(iterationDir, $"{worker.Id}.shim.log"), shim);
    }

    /// <summary><c>[builder-a, builder-b] -> [reviewer]</c></summary>
    public string LayerLine => string.Join(" -> ", Layers.Select(l => $"[{string.Join(", ", l)}]"));

    /// <summary>The stop rules in words.</summary>
    public string StopRulesLine
    {
        get
        {
            var rules = Fleet.StopRules;
            var parts = new List<string>();
            if (Fleet.Type == FleetType.Iterative)
            {
                parts.Add($"success after {rules.ReviewerLgtmCount} lgtm verdict{(rules.ReviewerLgtmCount == 1 ? "" : "s")} (cumulative)");
                parts.Add($"stop after {rules.MaxIterations} iteration{(rules.MaxIterations == 1 ? "" : "s")}");
            }
            else
            {
                parts.Add("one pass");
            }

            parts.Add(rules.CostCapUsd is { } cap
                ? $"start no worker once the run has cost {Usd.Text(cap)}"
                : "no cost cap");
            return string.Join("; ", parts);
        }
    }
}
