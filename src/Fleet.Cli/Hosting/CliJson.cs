using System.Text.Json.Serialization;

namespace Fleet.Cli.Hosting;

// The shapes of --json output: a contract for scripts, so they are records of their own rather than core types.

public sealed record DiagnosticJson(string Severity, string File, int Line, int Column, string Path, string Message);

public sealed record FleetSummaryJson(string Name, string Type, int Workers, IReadOnlyList<IReadOnlyList<string>> Layers);

public sealed record ValidateJson(string File, bool Valid, int Errors, int Warnings, IReadOnlyList<DiagnosticJson> Diagnostics, FleetSummaryJson? Fleet);

public sealed record PlannedWorkerJson(string Id, string Type, string Provider, string? Model, string? FallbackModel, string? ReasoningEffort, decimal? MaxBudgetPerIter, int Layer, string Prompt, IReadOnlyList<string> Argv, IReadOnlyList<string> DependsOn)
{
    /// <summary>local or slurm.</summary>
    public string Placement { get; init; } = "local";

    /// <summary>A slurm worker's sbatch argv; absent for a local one.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Sbatch { get; init; }
}

public sealed record StopRulesJson(int? ReviewerLgtmCount, int MaxIterations, decimal? CostCapUsd);

public sealed record DryRunJson(string Root, string Name, string Type, int MaxConcurrent, IReadOnlyList<IReadOnlyList<string>> Layers, StopRulesJson StopRules, IReadOnlyList<PlannedWorkerJson> Workers, IReadOnlyList<DiagnosticJson> Warnings);

public sealed record InitJson(string Root, string Type, string Provider, IReadOnlyList<string> Files);

/// <summary>One worker's worktree or branch as <c>fleet clean --json</c> reports it; action is removed, would_remove or refused.</summary>
public sealed record CleanedWorktreeJson(string Worker, string? Path, string Branch, string Action, bool BranchDeleted, string? Reason);

public sealed record CleanJson(string Repository, string Fleet, bool DryRun, int Removed, int WouldRemove, int Refused, IReadOnlyList<CleanedWorktreeJson> Worktrees);
public sealed record DoctorToolJson(string Name, bool Found, string? Path, string? Version, string? Error, bool Required, string? Install);

public sealed record DoctorKeyJson(string Name, bool Set, string Display);

/// <param name="CodexWorkers">How codex workers run: <c>app-server</c>, or <c>exec</c> where this codex has no app-server; null without codex.</param>
public sealed record DoctorJson(bool CanLaunch, string Mode, string Reason, bool InsideTmux, IReadOnlyList<DoctorToolJson> Tools, IReadOnlyList<DoctorKeyJson> Keys, IReadOnlyList<DoctorSharedJson> SharedAgentData, DoctorNotifyJson Notify, string? CodexWorkers = null)
{
    /// <summary>The slurm checks (sinfo, squeue, munge, shared path), only when the fleet uses slurm placement.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<DoctorSlurmJson>? Slurm { get; init; }
}

/// <summary>One slurm check: its name, whether it passed, what was seen or why it failed.</summary>
public sealed record DoctorSlurmJson(string Name, bool Ok, string Detail);

/// <summary>The user's notification defaults: where they are read from, their channels, why they are ignored.</summary>
public sealed record DoctorNotifyJson(string UserFile, IReadOnlyList<string> Channels, IReadOnlyList<string> Problems);

/// <summary>Agent data other local users can read, and the command that makes it private.</summary>
public sealed record DoctorSharedJson(string Path, string Mode, string Fix);

/// <summary>One pinned CLI after <c>fleet setup</c>; installed is false when it was already there.</summary>
public sealed record SetupToolJson(string Name, string Package, string Version, string Path, bool Installed);

/// <summary><c>fleet setup --json</c>: the tools folder, where fleet finds the CLIs, npm's log (null: nothing installed).</summary>
public sealed record SetupJson(string ToolsDir, string Bin, string? Log, IReadOnlyList<SetupToolJson> Tools);

/// <summary>One skill: action is installed, up to date, updated, kept (edited) or replaced (edited copy kept).</summary>
public sealed record SkillJson(string Name, string Path, string Action);

public sealed record SkillInstallJson(string Dir, IReadOnlyList<SkillJson> Skills);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SetupJson))]
[JsonSerializable(typeof(SkillInstallJson))]
[JsonSerializable(typeof(ValidateJson))]
[JsonSerializable(typeof(DryRunJson))]
[JsonSerializable(typeof(InitJson))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(CleanJson))]
[JsonSerializable(typeof(DoctorJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

public sealed record VerdictJson(int Iteration, string Verdict, string? Reason, string Source);

public sealed record WorkerStatusJson(string Worker, string State, double? DurationSeconds, decimal? CostUsd, string? Reason, DateTimeOffset? LimitedUntil = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Steers = 0)
{
    /// <summary>What the worker cost over the whole run so far, by the rule every report uses (<c>cost_usd</c> is this iteration's).</summary>
    public decimal RunCostUsd { get; init; }

    /// <summary>A slurm worker's job id, node and queue state; absent for a local worker.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Slurm { get; init; }
}

/// <summary>One gate as <c>fleet inbox --json</c> and <c>fleet status --json</c> (<c>needs_you</c>) show it.</summary>
/// <param name="State"><c>open</c>, <c>answered</c> (the worker has not yet been told), <c>closed</c> or <c>abandoned</c>.</param>
/// <param name="Line">The human line: <c>needs you: … — fleet approve ROOT ID | fleet deny ROOT ID</c>.</param>
/// <param name="Commands">The commands that answer it.</param>
public sealed record GateJson(string Gate, string Worker, int Iteration, string Kind, string Tool, string Summary, string Reason, string State,
    DateTimeOffset AskedAt, double WaitingSeconds, string? Answer, string Line, IReadOnlyList<string> Commands);

/// <summary>What <c>fleet approve|deny|answer --json</c> did.</summary>
public sealed record GateAnsweredJson(string Gate, string Decision, string? RuleAdded, string Message);

public sealed record StatusJson(string Root, string Name, string? Type, string? Run, string State, int Iteration, int? MaxIterations,
    IReadOnlyList<VerdictJson> Verdicts, IReadOnlyList<WorkerStatusJson> Workers, decimal SpentUsd, decimal? CostCapUsd, string? Why, int? OrchestratorPid, string? SpawnMode,
    IReadOnlyList<GateJson>? NeedsYou = null, IReadOnlyList<string>? Warnings = null);

public sealed record KillActionJson(string What, string Result);

public sealed record SteerJson(string Worker, int Iteration, string Action, DateTimeOffset HandedAt, int Steers);

/// <summary><c>fleet statusline --json</c>: what the line says, as data.</summary>
public sealed record StatusLineJson(string? SessionId, decimal? SessionCostUsd, decimal? TodayCostUsd, IReadOnlyList<WaitingFleetJson> GatesWaiting);

public sealed record WaitingFleetJson(string Fleet, int Gates);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(List<StatusJson>))]
[JsonSerializable(typeof(List<KillActionJson>))]
[JsonSerializable(typeof(List<GateJson>))]
[JsonSerializable(typeof(GateAnsweredJson))]
[JsonSerializable(typeof(SteerJson))]
[JsonSerializable(typeof(StatusLineJson))]
internal sealed partial class RunJsonContext : JsonSerializerContext;
