using Fleet.Gates.Policy;
using Fleet.Graph;
using Fleet.Paths;
using Fleet.Spec;

namespace Fleet.Validation;

/// <summary>The rules that tie fields together, checked after the schema on the well-formed parts of the file.</summary>
internal sealed class FleetRules(string file, string root, SourceNode document, List<Diagnostic> diagnostics)
{
    private readonly SourcePaths _nodes = new(document);

    public void Check(FleetSpec spec)
    {
        var config = spec.Config ?? new FleetConfig();
        var workers = (spec.Workers ?? []).Select((w, i) => (Spec: w, Path: $"$.workers[{i}]")).Where(w => w.Spec.Id is not null && w.Spec.Type is not null).ToList();
        var ids = CheckUniqueIds(workers);
        var graph = new DependencyGraph(ids.Keys, id => workers[ids[id]].Spec.DependsOn ?? []);
        foreach (var (worker, path) in workers)
        {
            CheckDependsOn(worker, path, ids.Keys, spec.Type);
            CheckProvider(worker, path, config);
            CheckBrief(worker, path, config);
            CheckWorkdir(worker, path, spec.Type);
            CheckPlacement(worker, path, config);
        }

        var cycles = graph.FindCycles();
        // A worker that depends on itself was reported above, at the exact item.
        foreach (var cycle in cycles.Where(c => c.Count > 2))
        {
            var first = workers[ids[cycle[0]]];
            Error($"{first.Path}.depends_on", $"dependency cycle: {string.Join(" -> ", cycle)}");
        }

        if (spec.Type == FleetType.Iterative)
        {
            CheckReviewer(workers, graph, cycles.Count > 0);
        }

        CheckSlurm(config.Slurm, "$.config.slurm");
        if (config.Slurm is not null && config.Placement != WorkerPlacement.Slurm && workers.All(w => w.Spec.Placement != WorkerPlacement.Slurm))
        {
            Warning("$.config.slurm", "no worker has placement slurm; this section has no effect");
        }

        CheckConfigEfforts(config, workers);
        CheckConfigModels(config, workers);
        CheckStopRules(spec, config);
        CheckGates(spec.Gates, "$.gates");
        CheckNotify(spec.Notify, "$.notify");
    }

    /// <summary>Checks notification channels: fleet.json's <c>notify</c> (at <c>$.notify</c>) or a whole notify.json (at <c>$</c>).</summary>
    public void CheckNotify(NotifySpec? notify, string path)
    {
        if (notify?.Webhook is { Length: > 0 } webhook
            && !(Uri.TryCreate(webhook, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0))
        {
            Error($"{path}.webhook", "not an absolute http or https URL");
        }

        if (path == "$" && notify?.UserDefaults is not null)
        {
            Error("$.user_defaults", "only fleet.json's notify section can ignore the user's notify.json");
        }
    }

    /// <summary>Checks gate rules: fleet.json's <c>gates</c> (at <c>$.gates</c>) or a whole .fleet/gates.json (at <c>$</c>).</summary>
    public void CheckGates(GatesSpec? gates, string path)
    {
        if (gates is null)
        {
            return;
        }

        var deny = new HashSet<string>(gates.Deny ?? [], StringComparer.Ordinal);
        foreach (var (list, name) in new[] { (gates.Allow, "allow"), (gates.Deny, "deny"), (gates.Destructive, "destructive") })
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var text = list![i];
                var itemPath = $"{path}.{name}[{i}]";
                if (string.IsNullOrEmpty(text))
                {
                    continue; // The schema reported it.
                }

                if (!GateRule.TryParse(text, out var rule, out var error))
                {
                    Error(itemPath, error!);
                    continue;
                }

                var known = GateRule.KnownTools;
                if (!known.Contains(rule!.Tool) && known.FirstOrDefault(t => t.Equals(rule.Tool, StringComparison.OrdinalIgnoreCase)) is { } proper)
                {
                    Error(itemPath, $"unknown tool \"{rule.Tool}\" (tool names are case-sensitive); did you mean \"{proper}\"?");
                }
                else if (!known.Contains(rule.Tool) && !rule.Tool.StartsWith("mcp__", StringComparison.Ordinal))
                {
                    Warning(itemPath, $"\"{rule.Tool}\" is not a tool of claude {ProviderCatalog.TestedClaudeVersion}{DidYouMean.Hint(rule.Tool, known)}; the rule matches only a tool of exactly that name");
                }
                else if (name == "allow" && rule.Tool == "AskUserQuestion")
                {
                    Warning(itemPath, "questions always go to a person; an allow rule for AskUserQuestion has no effect");
                }
                else if (name == "allow" && deny.Contains(text))
                {
                    Warning(itemPath, $"\"{text}\" is also a deny rule, and deny wins");
                }
            }
        }
    }

    private Dictionary<string, int> CheckUniqueIds(List<(WorkerSpec Spec, string Path)> workers)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < workers.Count; i++)
        {
            var (worker, path) = workers[i];
            if (ids.TryGetValue(worker.Id!, out var first))
            {
                Error($"{path}.id", $"duplicate worker id \"{worker.Id}\" (also {workers[first].Path}, line {Locate(workers[first].Path).Line})");
            }
            else
            {
                ids[worker.Id!] = i;
            }
        }

        return ids;
    }

    private void CheckWorkdir(WorkerSpec worker, string path, FleetType? fleetType)
    {
        if (worker.Workdir is not { } workdir)
        {
            return;
        }

        if (fleetType == FleetType.Worktree && worker.Type == WorkerType.CodeRun)
        {
            Error($"{path}.workdir", "a worktree fleet runs each task in its own worktree: remove workdir (or use type dag or iterative)");
            return;
        }

        var full = Path.GetFullPath(workdir, root);
        if (!Directory.Exists(full))
        {
            Error($"{path}.workdir", $"no such folder: {full}");
        }
    }

    private void CheckPlacement(WorkerSpec worker, string path, FleetConfig config)
    {
        CheckSlurm(worker.Slurm, $"{path}.slurm");
        if (worker.Slurm is not null && (worker.Placement ?? config.Placement ?? WorkerPlacement.Local) != WorkerPlacement.Slurm)
        {
            Warning($"{path}.slurm", $"worker \"{worker.Id}\" runs locally (placement local); its slurm section has no effect");
        }
    }

    private void CheckSlurm(SlurmSpec? slurm, string path)
    {
        if (slurm is null)
        {
            return;
        }

        if (slurm.TimeLimit is { } limit && !Placement.SlurmJob.IsValidTimeLimit(limit))
        {
            Error($"{path}.time_limit", $"\"{limit}\" is not a Slurm time limit; use minutes (\"90\"), \"HH:MM:SS\", \"D-HH:MM:SS\" or \"none\"");
        }

        for (var i = 0; i < (slurm.ExtraArgs?.Count ?? 0); i++)
        {
            var argument = slurm.ExtraArgs![i];
            if (argument is { Length: > 0 } && Placement.SlurmJob.ExtraArgumentProblem(argument) is { } problem)
            {
                Error($"{path}.extra_args[{i}]", problem);
            }
        }

        if (slurm.FleetBinary is { Length: > 0 } binary)
        {
            var full = Path.GetFullPath(binary, root);
            if (!File.Exists(full))
            {
                Warning($"{path}.fleet_binary", $"no such file here: {full} (the nodes must find it at this path)");
            }
        }
        else if (slurm.FleetBinary is "")
        {
            Error($"{path}.fleet_binary", "empty path: give the fleet executable the nodes run, or leave the key out");
        }
    }

    private void CheckDependsOn(WorkerSpec worker, string path, IEnumerable<string> ids, FleetType? fleetType)
    {
        if (worker.DependsOn is not { } dependsOn)
        {
            return;
        }

        if (fleetType == FleetType.Worktree && dependsOn.Count > 0)
        {
            Error($"{path}.depends_on", "a worktree fleet runs independent tasks, each in its own worktree: remove depends_on (or use type dag)");
            return;
        }

        var known = ids.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < dependsOn.Count; i++)
        {
            var target = dependsOn[i];
            var itemPath = $"{path}.depends_on[{i}]";
            if (target == worker.Id)
            {
                Error(itemPath, $"worker \"{worker.Id}\" cannot depend on itself");
            }
            else if (!known.Contains(target))
            {
                Error(itemPath, $"unknown worker \"{target}\"{DidYouMean.Hint(target, known)}");
            }
            else if (!seen.Add(target))
            {
                Warning(itemPath, $"\"{target}\" is listed twice");
            }
        }
    }

    private void CheckProvider(WorkerSpec worker, string path, FleetConfig config)
    {
        var provider = worker.Provider ?? config.Provider ?? FleetDefaults.DefaultProvider;
        var providerName = provider.Name();
        if (provider == Provider.Command)
        {
            if (worker.Command is null && !_nodes.Contains($"{path}.command"))
            {
                Error(path, $"worker \"{worker.Id}\" has provider command but no \"command\": give an argv array such as [\"npm\", \"test\"]");
            }

            foreach (var (arg, i) in (worker.Command ?? []).Select((a, i) => (a, i)))
            {
                foreach (var problem in Placeholders.Problems(arg, [.. ProviderCatalog.CommandPlaceholders]))
                {
                    ErrorInString($"{path}.command[{i}]", arg, problem.Index, problem.Message);
                }
            }

            foreach (var key in new[] { ("model", worker.Model), ("fallback_model", worker.FallbackModel) }.Where(k => k.Item2 is not null))
            {
                Warning($"{path}.{key.Item1}", $"{key.Item1} has no effect on a command worker");
            }

            if (worker.ReasoningEffort is not null)
            {
                Warning($"{path}.reasoning_effort", "reasoning_effort has no effect on a command worker");
            }

            if (worker.MaxBudgetPerIter is not null)
            {
                Warning($"{path}.max_budget_per_iter", "max_budget_per_iter has no effect on a command worker");
            }

            return;
        }

        if (worker.Command is not null)
        {
            Error($"{path}.command", $"\"command\" is only for provider command; this worker's provider is {providerName}");
        }

        if (worker.ReasoningEffort is { } effort && !ProviderCatalog.EffortsOf(provider).Contains(effort))
        {
            Error($"{path}.reasoning_effort", $"{providerName} does not accept reasoning effort \"{effort.Name()}\"; use one of: {string.Join(", ", ProviderCatalog.EffortsOf(provider).Select(e => e.Name()))}");
        }

        foreach (var (key, model) in new[] { ("model", worker.Model), ("fallback_model", provider == Provider.Claude ? worker.FallbackModel : null) })
        {
            if (model is not null && ProviderCatalog.LooksForeign(provider, model))
            {
                Warning($"{path}.{key}", $"\"{model}\" looks like a model of another provider, but this worker's provider is {providerName}");
            }
        }

        if (provider is Provider.Codex or Provider.Gemini)
        {
            if (worker.FallbackModel is not null)
            {
                Warning($"{path}.fallback_model", $"fallback_model is a claude option; {providerName} ignores it");
            }

            if (worker.MaxBudgetPerIter is not null)
            {
                Warning($"{path}.max_budget_per_iter", $"{providerName} has no per-run budget flag; only the fleet's cost_cap_usd limits this worker");
            }
        }
    }

    private void CheckBrief(WorkerSpec worker, string path, FleetConfig config)
    {
        var prompt = Path.Combine(root, "workers", worker.Id!, "prompt.md");
        var promptDisplay = Path.Combine(Path.GetDirectoryName(file) ?? string.Empty, "workers", worker.Id!, "prompt.md");
        var kind = InputFiles.KindOf(prompt);
        if (kind is not (FileKind.Missing or FileKind.Regular))
        {
            Error(path, $"worker \"{worker.Id}\"'s brief {promptDisplay} is {InputFiles.Describe(kind)}, not a regular file");
            return;
        }

        if (kind == FileKind.Regular)
        {
            try
            {
                InputFiles.ReadText(prompt, promptDisplay);
            }
            catch (InputFileException e)
            {
                diagnostics.Add(new Diagnostic(Severity.Error, promptDisplay, e.Line ?? 1, e.Column ?? 1, "$", e.Reason));
            }
        }

        if (string.IsNullOrWhiteSpace(worker.Task) && (worker.Provider ?? config.Provider ?? FleetDefaults.DefaultProvider) != Provider.Command
            && kind == FileKind.Missing)
        {
            Warning(path, $"worker \"{worker.Id}\" has no task and workers/{worker.Id}/prompt.md does not exist: it would start with an empty brief");
        }
    }

    private void CheckReviewer(List<(WorkerSpec Spec, string Path)> workers, DependencyGraph graph, bool hasCycles)
    {
        var reviewers = workers.Where(w => w.Spec.Type == WorkerType.Reviewer).ToList();
        // A worker entry the schema rejected may well be the reviewer: saying "none" then would mislead.
        if (reviewers.Count == 0 && workers.Count < ((_nodes.Get("$.workers") as SourceArray)?.Items.Count ?? 0))
        {
            return;
        }

        if (reviewers.Count == 0)
        {
            Error("$.workers", "an iterative fleet needs exactly one worker of type \"reviewer\" to give each iteration its verdict; found none");
            return;
        }

        foreach (var extra in reviewers.Skip(1))
        {
            Error($"{extra.Path}.type", $"an iterative fleet has exactly one reviewer; \"{extra.Spec.Id}\" is a second one (the first is \"{reviewers[0].Spec.Id}\")");
        }

        if (hasCycles || !graph.Nodes.Contains(reviewers[0].Spec.Id!))
        {
            return;
        }

        var reviewer = reviewers[0];
        var reviewed = graph.TransitiveDependencies(reviewer.Spec.Id!);
        var missing = workers.Where(w => w.Spec.Type == WorkerType.CodeRun && !reviewed.Contains(w.Spec.Id!)).Select(w => w.Spec.Id!).Distinct().ToList();
        if (missing.Count > 0)
        {
            Error(reviewer.Spec.DependsOn is null ? reviewer.Path : $"{reviewer.Path}.depends_on",
                $"the reviewer \"{reviewer.Spec.Id}\" must depend, directly or not, on every code-run worker; missing: {string.Join(", ", missing)}");
        }
    }

    /// <summary>config.model and config.fallback_model run on every provider that inherits them: each is checked for each.</summary>
    private void CheckConfigModels(FleetConfig config, List<(WorkerSpec Spec, string Path)> workers)
    {
        var models = new[]
        {
            ("model", config.Model, workers.Where(w => w.Spec.Model is null)),
            ("fallback_model", config.FallbackModel, workers.Where(w => w.Spec.FallbackModel is null && (w.Spec.Provider ?? config.Provider ?? FleetDefaults.DefaultProvider) == Provider.Claude)),
        };
        foreach (var (key, model, inheriting) in models)
        {
            if (model is null)
            {
                continue;
            }

            var byProvider = inheriting.Select(w => (w.Spec.Id, Provider: w.Spec.Provider ?? config.Provider ?? FleetDefaults.DefaultProvider));
            foreach (var group in byProvider.Where(w => ProviderCatalog.LooksForeign(w.Provider, model)).GroupBy(w => w.Provider))
            {
                Warning($"$.config.{key}", $"\"{model}\" looks like a model of another provider, but {string.Join(", ", group.Select(g => $"\"{g.Id}\""))} inherit{(group.Count() == 1 ? "s" : "")} it and run{(group.Count() == 1 ? "s" : "")} on {group.Key.Name()}");
            }
        }
    }

    private void CheckConfigEfforts(FleetConfig config, List<(WorkerSpec Spec, string Path)> workers)
    {
        if (config.ReasoningEffort is not { } effort)
        {
            return;
        }

        var inheriting = workers.Where(w => w.Spec.ReasoningEffort is null).Select(w => (w.Spec.Id, Provider: w.Spec.Provider ?? config.Provider ?? FleetDefaults.DefaultProvider));
        foreach (var group in inheriting.Where(w => w.Provider != Provider.Command && !ProviderCatalog.EffortsOf(w.Provider).Contains(effort)).GroupBy(w => w.Provider))
        {
            Error("$.config.reasoning_effort", $"{group.Key.Name()} does not accept reasoning effort \"{effort.Name()}\", which {string.Join(", ", group.Select(g => $"\"{g.Id}\""))} inherit{(group.Count() == 1 ? "s" : "")}; use one of: {string.Join(", ", ProviderCatalog.EffortsOf(group.Key).Select(e => e.Name()))}");
        }
    }

    private void CheckStopRules(FleetSpec spec, FleetConfig config)
    {
        if (spec.Type is FleetType.Dag or FleetType.Worktree)
        {
            var kind = spec.Type.Value.Name();
            if (spec.StopWhen?.ReviewerLgtmCount is not null)
            {
                Warning("$.stop_when.reviewer_lgtm_count", $"a {kind} fleet runs one pass; reviewer_lgtm_count is ignored");
            }

            if (spec.StopWhen?.MaxIterations is not null)
            {
                Warning("$.stop_when.max_iterations", $"a {kind} fleet runs one pass; max_iterations is ignored");
            }

            if (config.MaxIterations is not null)
            {
                Warning("$.config.max_iterations", $"a {kind} fleet runs one pass; max_iterations is ignored");
            }
        }

        if (spec.StopWhen?.MaxIterations is { } a && config.MaxIterations is { } b && a != b)
        {
            Warning("$.config.max_iterations", $"stop_when.max_iterations ({a}) wins over config.max_iterations ({b})");
        }

        if (spec.StopWhen?.CostCapUsd is { } c && config.CostCapUsd is { } d && c != d)
        {
            Warning("$.config.cost_cap_usd", $"stop_when.cost_cap_usd ({c}) wins over config.cost_cap_usd ({d})");
        }
    }

    private void Error(string path, string message) => Add(Severity.Error, path, message);

    private void Warning(string path, string message) => Add(Severity.Warning, path, message);

    /// <summary>An error at a character of a string value: exact when the string was written without escapes before it.</summary>
    private void ErrorInString(string path, string value, int index, string message)
    {
        var node = Locate(path);
        var plain = node.Path == path && value[..index].All(c => c is >= ' ' and <= '~' and not '"' and not '\\');
        diagnostics.Add(new Diagnostic(Severity.Error, file, node.Line, plain ? node.Column + 1 + index : node.Column, path, message));
    }

    private void Add(Severity severity, string path, string message)
    {
        var node = Locate(path);
        diagnostics.Add(new Diagnostic(severity, file, node.Line, node.Column, path, message));
    }

    private SourceNode Locate(string path) => _nodes.Locate(path);
}
