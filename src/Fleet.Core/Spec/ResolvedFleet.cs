using Fleet.Graph;

namespace Fleet.Spec;

/// <summary>A worker with every setting resolved: its own value, else config's, else the default.</summary>
public sealed record ResolvedWorker(
    string Id,
    WorkerType Type,
    Provider Provider,
    string? Model,
    string? FallbackModel,
    ReasoningEffort? ReasoningEffort,
    decimal? MaxBudgetPerIter,
    PermissionMode PermissionMode,
    string? Task,
    IReadOnlyList<string> DependsOn,
    IReadOnlyList<string> Command,
    string? Workdir = null,
    WorkerPlacement Placement = WorkerPlacement.Local,
    SlurmSettings? Slurm = null);

/// <summary>A slurm worker's sbatch settings, config.slurm with the worker's own keys over it.</summary>
/// <param name="TimeLimit">As written; "none" for no limit; null for the partition's default.</param>
/// <param name="FleetBinary">The fleet executable nodes run (absolute or relative to the root); null: the launching fleet's own command.</param>
public sealed record SlurmSettings(string? Partition, string? Account, string? TimeLimit, IReadOnlyList<string> ExtraArgs, string? FleetBinary)
{
    public static SlurmSettings Default { get; } = new(null, null, null, [], null);

    public static SlurmSettings Merge(SlurmSpec? config, SlurmSpec? worker) => new(
        worker?.Partition ?? config?.Partition,
        worker?.Account ?? config?.Account,
        worker?.TimeLimit ?? config?.TimeLimit,
        worker?.ExtraArgs ?? config?.ExtraArgs ?? [],
        worker?.FleetBinary ?? config?.FleetBinary);
}

/// <summary>Gate rules as texts in Claude's rule syntax (see <c>Fleet.Gates.Policy.GateRule</c>).</summary>
public sealed record FleetGates(IReadOnlyList<string> Allow, IReadOnlyList<string> Deny, IReadOnlyList<string> Destructive)
{
    public static FleetGates None { get; } = new([], [], []);

    public static FleetGates From(GatesSpec? spec) =>
        spec is null ? None : new(spec.Allow ?? [], spec.Deny ?? [], spec.Destructive ?? []);

    /// <summary>These rules followed by <paramref name="other"/>'s.</summary>
    public FleetGates Concat(FleetGates other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new([.. Allow, .. other.Allow], [.. Deny, .. other.Deny], [.. Destructive, .. other.Destructive]);
    }
}

/// <summary>The effective stop rules of a fleet.</summary>
/// <param name="ReviewerLgtmCount">Approvals needed (cumulative over the run); iterative fleets only.</param>
/// <param name="MaxIterations">Iterations at most; 1 for dag and worktree fleets.</param>
/// <param name="CostCapUsd">No worker starts once the run has cost this much; null = no cap.</param>
public sealed record EffectiveStopRules(int ReviewerLgtmCount, int MaxIterations, decimal? CostCapUsd);

/// <summary>A valid fleet with its settings resolved and its graph built.</summary>
public sealed record ResolvedFleet(
    string Root,
    string Name,
    FleetType Type,
    int MaxConcurrent,
    IReadOnlyList<ResolvedWorker> Workers,
    EffectiveStopRules StopRules,
    DependencyGraph Graph)
{
    public ResolvedWorker Worker(string id) => Workers.First(w => w.Id == id);

    /// <summary>fleet.json's <c>gates</c> (validated rule texts); the repository's .fleet/gates.json is added when a worker is prepared.</summary>
    public FleetGates Gates { get; init; } = FleetGates.None;

    /// <summary>fleet.json's <c>notify</c> as written; the orchestrator merges it over the user's notify.json.</summary>
    public NotifySpec? Notify { get; init; }

    /// <summary>Builds the resolved form of a spec that validated without errors.</summary>
    public static ResolvedFleet From(string root, FleetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var config = spec.Config ?? new FleetConfig();
        var workers = spec.Workers!.Select(w => Resolve(w, config)).ToList();
        var type = spec.Type!.Value;
        var stop = new EffectiveStopRules(
            ReviewerLgtmCount: spec.StopWhen?.ReviewerLgtmCount ?? FleetDefaults.ReviewerLgtmCount,
            MaxIterations: type == FleetType.Iterative
                ? spec.StopWhen?.MaxIterations ?? config.MaxIterations ?? FleetDefaults.MaxIterations
                : 1,
            CostCapUsd: spec.StopWhen?.CostCapUsd ?? config.CostCapUsd);
        var graph = new DependencyGraph(workers.Select(w => w.Id), id => workers.First(w => w.Id == id).DependsOn);
        return new ResolvedFleet(root, spec.FleetName!, type, config.MaxConcurrent ?? FleetDefaults.MaxConcurrent, workers, stop, graph)
        {
            Gates = FleetGates.From(spec.Gates),
            Notify = spec.Notify,
        };
    }

    internal static ResolvedWorker Resolve(WorkerSpec w, FleetConfig config) => new(
        Id: w.Id!,
        Type: w.Type!.Value,
        Provider: w.Provider ?? config.Provider ?? FleetDefaults.DefaultProvider,
        Model: w.Model ?? config.Model,
        FallbackModel: w.FallbackModel ?? config.FallbackModel,
        ReasoningEffort: w.ReasoningEffort ?? config.ReasoningEffort,
        MaxBudgetPerIter: w.MaxBudgetPerIter,
        PermissionMode: config.PermissionMode ?? FleetDefaults.DefaultPermissionMode,
        Task: w.Task,
        DependsOn: w.DependsOn ?? [],
        Command: w.Command ?? [],
        Workdir: w.Workdir,
        Placement: w.Placement ?? config.Placement ?? WorkerPlacement.Local,
        Slurm: (w.Placement ?? config.Placement) == WorkerPlacement.Slurm ? SlurmSettings.Merge(config.Slurm, w.Slurm) : null);
}
