namespace Fleet.Spec;

/// <summary>
/// What each provider accepts, from the pinned CLIs' own help (claude 2.1.332, codex 0.171.0, gemini 0.61.0). The provider table of
/// docs/fleet-json.md is this class in prose.
/// </summary>
public static class ProviderCatalog
{
    /// <summary>The claude release fleet is tested against (its pin: <see cref="Setup.AgentCliPins"/>).</summary>
    public static string TestedClaudeVersion => Setup.AgentCliPins.VersionOf("claude");

    /// <summary>The codex release fleet is tested against (its pin: <see cref="Setup.AgentCliPins"/>).</summary>
    public static string TestedCodexVersion => Setup.AgentCliPins.VersionOf("codex");

    /// <summary>The Gemini CLI release fleet is tested against (its pin: <see cref="Setup.AgentCliPins"/>).</summary>
    public static string TestedGeminiVersion => Setup.AgentCliPins.VersionOf("gemini");

    /// <summary>Aliases claude resolves to its latest model of a family (<c>claude --help</c>: 'fable', 'opus', 'sonnet'; 'haiku' as documented).</summary>
    public static IReadOnlyList<string> ClaudeModelAliases { get; } = ["sonnet", "opus", "haiku", "fable"];

    /// <summary>Values of <c>claude --effort</c>.</summary>
    public static IReadOnlyList<ReasoningEffort> ClaudeEfforts { get; } =
        [ReasoningEffort.Low, ReasoningEffort.Medium, ReasoningEffort.High, ReasoningEffort.XHigh, ReasoningEffort.Max];

    /// <summary>Values of codex's <c>model_reasoning_effort</c>.</summary>
    public static IReadOnlyList<ReasoningEffort> CodexEfforts { get; } =
        [ReasoningEffort.Minimal, ReasoningEffort.Low, ReasoningEffort.Medium, ReasoningEffort.High, ReasoningEffort.XHigh];

    /// <summary>The placeholders a command worker's argv may use.</summary>
    public static IReadOnlyList<string> CommandPlaceholders { get; } = ["{iteration}", "{prompt_file}", "{root}", "{worker}"];

    public static IReadOnlyList<ReasoningEffort> EffortsOf(Provider provider) => provider switch
    {
        Provider.Claude => ClaudeEfforts,
        Provider.Codex => CodexEfforts,
        _ => [],
    };

    /// <summary>The executable a provider runs.</summary>
    public static string ExecutableOf(Provider provider) => provider switch
    {
        Provider.Claude => "claude",
        Provider.Codex => "codex",
        Provider.Gemini => "gemini",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "a command worker names its own executable"),
    };

    /// <summary>True when the model name plainly belongs to another provider (a hint, not a rule: ids evolve).</summary>
    public static bool LooksForeign(Provider provider, string model) => provider switch
    {
        Provider.Claude => model.StartsWith("gpt-", StringComparison.OrdinalIgnoreCase) || model.StartsWith("gemini", StringComparison.OrdinalIgnoreCase) || model.StartsWith("o3", StringComparison.OrdinalIgnoreCase) || model.StartsWith("o4", StringComparison.OrdinalIgnoreCase),
        Provider.Codex => model.StartsWith("claude", StringComparison.OrdinalIgnoreCase) || ClaudeModelAliases.Contains(model, StringComparer.OrdinalIgnoreCase) || model.StartsWith("gemini", StringComparison.OrdinalIgnoreCase),
        Provider.Gemini => model.StartsWith("claude", StringComparison.OrdinalIgnoreCase) || ClaudeModelAliases.Contains(model, StringComparer.OrdinalIgnoreCase) || model.StartsWith("gpt-", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    public static string Name(this Provider provider) => provider switch
    {
        Provider.Claude => "claude",
        Provider.Codex => "codex",
        Provider.Gemini => "gemini",
        _ => "command",
    };

    public static string Name(this ReasoningEffort effort) => effort switch
    {
        ReasoningEffort.XHigh => "xhigh",
        _ => effort.ToString().ToLowerInvariant(),
    };

    public static string Name(this WorkerType type) => type == WorkerType.CodeRun ? "code-run" : "reviewer";

    public static string Name(this FleetType type) => type.ToString().ToLowerInvariant();

    public static string Name(this WorkerPlacement placement) => placement == WorkerPlacement.Slurm ? "slurm" : "local";

    public static string Name(this PermissionMode mode) => mode switch
    {
        PermissionMode.AcceptEdits => "acceptEdits",
        PermissionMode.BypassPermissions => "bypassPermissions",
        PermissionMode.DontAsk => "dontAsk",
        PermissionMode.Default or PermissionMode.Manual => "manual",
        _ => mode.ToString().ToLowerInvariant(),
    };
}
