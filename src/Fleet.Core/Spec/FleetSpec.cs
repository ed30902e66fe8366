using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Fleet.Spec;

/// <summary>A fleet.json as the user wrote it (snake_case on disk).</summary>
[Description("A fleet of coding agents: its workers, their dependencies and the rules that stop it.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class FleetSpec
{
    [JsonPropertyName("$schema")]
    [Description("Where editors find this file's JSON Schema (fleet init writes ./fleet.schema.json).")]
    public string? Schema { get; set; }

    [RequiredKey]
    [Pattern(Ids.Pattern)]
    [Description("The fleet's name: lower-case letters, digits, '.', '_' and '-', at most 64 characters.")]
    public string? FleetName { get; set; }

    [RequiredKey]
    [Description("dag: one pass over the workers in dependency order. iterative: passes repeated until the reviewer approves or a stop rule fires. worktree: independent tasks, each in its own git worktree, one pass.")]
    public FleetType? Type { get; set; }

    [Description("Defaults for every worker, and fleet-wide limits.")]
    public FleetConfig? Config { get; set; }

    [RequiredKey]
    [MinItems(1)]
    [Description("The workers, in the order they are shown and started within a layer.")]
    public List<WorkerSpec>? Workers { get; set; }

    [Description("When an iterative fleet stops. Values here win over the same keys in config.")]
    public StopRules? StopWhen { get; set; }

    [Description("Agent workers' permission requests (claude, codex under app-server, gemini under ACP): which a rule decides and which go to a person (fleet inbox). Added to by .fleet/gates.json.")]
    public GatesSpec? Gates { get; set; }

    [Description("Who is told when the fleet needs a person or ends: a webhook, a command, the desktop, the terminal bell. Merged over the user's $XDG_CONFIG_HOME/fleet/notify.json key by key (docs/notifications.md).")]
    public NotifySpec? Notify { get; set; }
}

/// <summary>fleet.json's <c>notify</c> section, and the whole of the user's <c>notify.json</c>.</summary>
[Description("Notification channels. Each key given here wins over the same key in the user's notify.json; keys left out come from it.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class NotifySpec
{
    [JsonPropertyName("$schema")]
    [Description("Where editors find this file's JSON Schema.")]
    public string? Schema { get; set; }

    [Description("An http(s) URL that gets each event as a JSON POST; the body's text (and content) field suits Slack and Discord incoming webhooks. An empty string turns off the user's webhook for this fleet.")]
    public string? Webhook { get; set; }

    [NonEmptyItems]
    [Description("An argv (never a shell string) run once per event with the event's JSON on stdin; a non-zero exit is a failed delivery, retried. An empty array turns off the user's command for this fleet.")]
    public List<string>? Command { get; set; }

    [Description("Show each event on the desktop with notify-send, when it is installed (fleet doctor says).")]
    public bool? Desktop { get; set; }

    [Description("Ring the terminal bell on each event while fleet launch --wait or fleet resume --wait follows the run.")]
    public bool? Bell { get; set; }

    [DefaultValue(true)]
    [Description("fleet.json only: false ignores the user's notify.json for this fleet.")]
    public bool? UserDefaults { get; set; }
}

/// <summary>The gate rules of fleet.json's <c>gates</c> and of <c>.fleet/gates.json</c>.</summary>
[Description("Rules in Claude's permission syntax: Tool or Tool(pattern), e.g. Bash(npm test:*), Edit(src/**), WebFetch(domain:example.com). Deny wins, then destructive operations ask, then allow; anything else asks a person.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class GatesSpec
{
    [NonEmptyItems]
    [Description("Requests these rules match are allowed without asking. A wildcard rule (Bash, Bash(*), Bash(npm:*)) never allows a destructive operation; an exact rule does.")]
    public List<string>? Allow { get; set; }

    [NonEmptyItems]
    [Description("Requests these rules match are denied without asking; deny wins over every other rule.")]
    public List<string>? Deny { get; set; }

    [NonEmptyItems]
    [Description("More destructive operations, on top of fleet's shipped list (--accept-data-loss, git push --force, git reset --hard, DROP TABLE, rm -rf outside the worktree, prisma migrate reset, terraform destroy, ...): they always ask a person.")]
    public List<string>? Destructive { get; set; }
}

/// <summary>Fleet-wide defaults and limits.</summary>
[Description("Defaults for every worker, and fleet-wide limits.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class FleetConfig
{
    [Minimum(1)]
    [DefaultValue(FleetDefaults.MaxConcurrent)]
    [Description("At most this many workers run at once.")]
    public int? MaxConcurrent { get; set; }

    [DefaultValue("claude")]
    [Description("The default provider of workers: claude (claude -p), codex (codex app-server), gemini (gemini -p) or command (any argv).")]
    public Provider? Provider { get; set; }

    [Description("The default model: an alias or a full model id of the provider.")]
    public string? Model { get; set; }

    [Description("Claude only: the model to use when the primary one is overloaded.")]
    public string? FallbackModel { get; set; }

    [Description("The default reasoning effort. claude: low, medium, high, xhigh, max. codex: minimal, low, medium, high, xhigh.")]
    public ReasoningEffort? ReasoningEffort { get; set; }

    [Minimum(1)]
    [Description("Iterative fleets: stop after this many iterations (stop_when.max_iterations wins).")]
    public int? MaxIterations { get; set; }

    [ExclusiveMinimum(0)]
    [Description("Start no worker once the run has cost this many US dollars (stop_when.cost_cap_usd wins).")]
    public decimal? CostCapUsd { get; set; }

    [DefaultValue("acceptEdits")]
    [Description("The permission mode of every claude worker, and of every gemini worker (there applied by fleet's gates). bypassPermissions skips all permission checks: only when the fleet really asks for it.")]
    public PermissionMode? PermissionMode { get; set; }

    [DefaultValue("local")]
    [Description("Where workers run: local (a process on this machine) or slurm (a batch job on a Slurm cluster whose nodes share the fleet root's file system; docs/scale-out.md).")]
    public WorkerPlacement? Placement { get; set; }

    [Description("Slurm placement: the sbatch settings of every slurm worker (a worker's own slurm section wins key by key).")]
    public SlurmSpec? Slurm { get; set; }
}

/// <summary>The sbatch settings of slurm workers.</summary>
[Description("How fleet submits a slurm worker's shim with sbatch.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SlurmSpec
{
    [Pattern(SlurmNames.Pattern)]
    [Description("The partition (sbatch --partition); the cluster's default partition when absent.")]
    public string? Partition { get; set; }

    [Pattern(SlurmNames.Pattern)]
    [Description("The account to charge (sbatch --account).")]
    public string? Account { get; set; }

    [Description("sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS; \"none\" asks for no limit (--time=UNLIMITED). The partition's default when absent. Slurm ends a job at its limit: fleet itself never does.")]
    public string? TimeLimit { get; set; }

    [NonEmptyItems]
    [Description("More sbatch arguments, as an argv array (e.g. [\"--mem=4G\", \"--constraint=ssd\"]); never the ones fleet sets itself.")]
    public List<string>? ExtraArgs { get; set; }

    [Description("The fleet executable the nodes run as the worker shim: absolute, or relative to the fleet root (e.g. the native single-file build copied to .fleet/bin/fleet). The launching fleet's own command when absent, which suits nodes that share its installation.")]
    public string? FleetBinary { get; set; }
}

/// <summary>One worker of the fleet.</summary>
[Description("One worker: an agent (claude, codex) or a command, run once per iteration.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class WorkerSpec
{
    [RequiredKey]
    [Pattern(Ids.Pattern)]
    [Description("Unique id: lower-case letters, digits, '.', '_' and '-', at most 64 characters. Names workers/<id>/ and iterations/<N>/<id>.log.")]
    public string? Id { get; set; }

    [RequiredKey]
    [Description("code-run: does the work. reviewer: reads the iteration's results and writes iterations/<N>/review.md with a verdict.")]
    public WorkerType? Type { get; set; }

    [Description("What the worker is asked to do, when workers/<id>/prompt.md does not exist.")]
    public string? Task { get; set; }

    [Description("Ids of the workers that must finish before this one starts.")]
    public List<string>? DependsOn { get; set; }

    [Description("claude, codex, gemini or command; falls back to config.provider.")]
    public Provider? Provider { get; set; }

    [Description("Model alias or id; falls back to config.model.")]
    public string? Model { get; set; }

    [Description("Claude only; falls back to config.fallback_model.")]
    public string? FallbackModel { get; set; }

    [Description("Reasoning effort; falls back to config.reasoning_effort.")]
    public ReasoningEffort? ReasoningEffort { get; set; }

    [ExclusiveMinimum(0)]
    [Description("Claude only: the most one iteration of this worker may spend, in US dollars (--max-budget-usd).")]
    public decimal? MaxBudgetPerIter { get; set; }

    [MinItems(1)]
    [NonEmptyItems]
    [Description("Provider command only: the argv to run, never a shell string. Placeholders: {iteration}, {prompt_file}, {root}, {worker}.")]
    public List<string>? Command { get; set; }

    [Description("Where the worker runs: a folder, absolute or relative to the fleet root; the fleet root when absent (worktree fleets: the task's worktree). Team mode points a squad's developer at its issue's worktree.")]
    public string? Workdir { get; set; }

    [Description("local or slurm; falls back to config.placement.")]
    public WorkerPlacement? Placement { get; set; }

    [Description("Slurm placement: this worker's sbatch settings, key by key over config.slurm.")]
    public SlurmSpec? Slurm { get; set; }
}

/// <summary>The rules that stop an iterative fleet.</summary>
[Description("When an iterative fleet stops.")]
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class StopRules
{
    [Minimum(1)]
    [DefaultValue(FleetDefaults.ReviewerLgtmCount)]
    [Description("Stop with success after this many lgtm verdicts in the run (cumulative, not necessarily consecutive).")]
    public int? ReviewerLgtmCount { get; set; }

    [Minimum(1)]
    [DefaultValue(FleetDefaults.MaxIterations)]
    [Description("Stop without success after this many iterations.")]
    public int? MaxIterations { get; set; }

    [ExclusiveMinimum(0)]
    [Description("Start no worker once the run has cost this many US dollars; running workers are never stopped for cost.")]
    public decimal? CostCapUsd { get; set; }
}

[JsonConverter(typeof(JsonStringEnumConverter<FleetType>))]
public enum FleetType
{
    [JsonStringEnumMemberName("dag")] Dag,
    [JsonStringEnumMemberName("iterative")] Iterative,
    [JsonStringEnumMemberName("worktree")] Worktree,
}

[JsonConverter(typeof(JsonStringEnumConverter<WorkerType>))]
public enum WorkerType
{
    [JsonStringEnumMemberName("code-run")] CodeRun,
    [JsonStringEnumMemberName("reviewer")] Reviewer,
}

[JsonConverter(typeof(JsonStringEnumConverter<Provider>))]
public enum Provider
{
    [JsonStringEnumMemberName("claude")] Claude,
    [JsonStringEnumMemberName("codex")] Codex,
    [JsonStringEnumMemberName("gemini")] Gemini,
    [JsonStringEnumMemberName("command")] Command,
}

/// <summary>Where a worker's shim runs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkerPlacement>))]
public enum WorkerPlacement
{
    [JsonStringEnumMemberName("local")] Local,
    [JsonStringEnumMemberName("slurm")] Slurm,
}

/// <summary>Slurm partition and account names: no blanks, no commas, nothing a shell or sbatch would split.</summary>
public static class SlurmNames
{
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
}

[JsonConverter(typeof(JsonStringEnumConverter<ReasoningEffort>))]
public enum ReasoningEffort
{
    [JsonStringEnumMemberName("minimal")] Minimal,
    [JsonStringEnumMemberName("low")] Low,
    [JsonStringEnumMemberName("medium")] Medium,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("xhigh")] XHigh,
    [JsonStringEnumMemberName("max")] Max,
}

/// <summary>Claude's permission modes (claude 2.1.332 --help). <c>default</c> is the older name of <c>manual</c>, kept so
/// fleet.json files written for earlier CLIs stay valid.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PermissionMode>))]
public enum PermissionMode
{
    [JsonStringEnumMemberName("acceptEdits")] AcceptEdits,
    [JsonStringEnumMemberName("auto")] Auto,
    [JsonStringEnumMemberName("bypassPermissions")] BypassPermissions,
    [JsonStringEnumMemberName("default")] Default,
    [JsonStringEnumMemberName("dontAsk")] DontAsk,
    [JsonStringEnumMemberName("manual")] Manual,
    [JsonStringEnumMemberName("plan")] Plan,
}

/// <summary>The defaults that apply when fleet.json says nothing.</summary>
public static class FleetDefaults
{
    public const int MaxConcurrent = 3;
    public const int ReviewerLgtmCount = 1;
    public const int MaxIterations = 10;
    public const Provider DefaultProvider = Provider.Claude;
    public const PermissionMode DefaultPermissionMode = PermissionMode.AcceptEdits;
}

/// <summary>Worker and fleet ids: safe as a single path segment, so an id can never escape the fleet root.</summary>
public static class Ids
{
    public const string Pattern = "^[a-z0-9][a-z0-9._-]{0,63}$";
}
