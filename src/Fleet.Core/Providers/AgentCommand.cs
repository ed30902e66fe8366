using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Spec;

namespace Fleet.Providers;

/// <summary>Everything about one (worker, iteration) that its command line depends on.</summary>
/// <param name="Root">The fleet root (absolute).</param>
/// <param name="Iteration">Iteration number, from 1.</param>
/// <param name="WorkingDirectory">Where the agent runs: the fleet root, or the worker's worktree.</param>
/// <param name="Prompt">The brief as the agent receives it.</param>
/// <param name="PromptFile">The file that holds the brief (for command workers' {prompt_file}).</param>
/// <param name="FleetContext">What fleet tells the agent about its place in the run (claude: --append-system-prompt).</param>
/// <param name="SessionId">Claude: the session id fleet chose for this worker; Codex and Gemini: the thread or session to resume, if any.</param>
/// <param name="Resume">True from the worker's second iteration on: continue its own session so the prompt cache is reused.</param>
/// <param name="LastMessageFile">Codex: where <c>-o</c> writes the final message.</param>
/// <param name="AskRules">Claude: rules claude must always ask about (<see cref="AgentCommand.AskRules"/>), passed as <c>permissions.ask</c>.</param>
/// <param name="CodexAppServer">Codex: run <c>codex app-server</c> (the shim then asks for the thread and turn on stdin); false for <c>codex exec</c>, where app-server is missing.</param>
public sealed record InvocationContext(
    string Root,
    int Iteration,
    string WorkingDirectory,
    string Prompt,
    string PromptFile,
    string FleetContext,
    string? SessionId,
    bool Resume,
    string LastMessageFile,
    IReadOnlyList<string>? AskRules = null,
    bool CodexAppServer = true);

/// <summary>
/// Builds the argv that runs a worker: an array, never a shell string. The flags are those of the pinned claude
/// 2.1.332, codex 0.171.0 and gemini 0.61.0 (a test checks each against their <c>--help</c>).
/// </summary>
public static class AgentCommand
{
    public static IReadOnlyList<string> Build(ResolvedWorker worker, InvocationContext context)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(context);
        return worker.Provider switch
        {
            Provider.Claude => Claude(worker, context),
            Provider.Codex => Codex(worker, context),
            Provider.Gemini => Gemini(worker),
            _ => Command(worker, context),
        };
    }

    /// <summary>
    /// Claude runs under fleet's gates: the brief goes on stdin as a stream-json user message (so no prompt argument),
    /// and every permission request comes to the shim as a <c>control_request</c> (<c>--permission-prompt-tool stdio</c>,
    /// a flag claude 2.1.332 accepts but hides from --help). <c>--replay-user-messages</c> echoes each message when claude
    /// takes it, which tells the shim whether a person's message is still to be answered when a turn ends.
    /// </summary>
    private static List<string> Claude(ResolvedWorker worker, InvocationContext context)
    {
        var argv = new List<string>
        {
            "claude", "-p", "--output-format", "stream-json", "--verbose", "--input-format", "stream-json", "--replay-user-messages", "--permission-prompt-tool", "stdio",
        };
        if (context.SessionId is { } session)
        {
            argv.AddRange(context.Resume ? ["--resume", session] : ["--session-id", session]);
        }

        AddIf(argv, "--model", worker.Model);
        AddIf(argv, "--fallback-model", worker.FallbackModel);
        AddIf(argv, "--max-budget-usd", worker.MaxBudgetPerIter?.ToString(CultureInfo.InvariantCulture));
        argv.AddRange(["--permission-mode", worker.PermissionMode.Name()]);
        AddIf(argv, "--effort", worker.ReasoningEffort?.Name());
        if (context.AskRules is { Count: > 0 } ask)
        {
            // Additional settings, merged with the user's: claude asks (so the shim decides) before anything these rules match.
            var rules = new JsonArray([.. ask.Select(r => JsonValue.Create(r))]);
            argv.AddRange(["--settings", new JsonObject { ["permissions"] = new JsonObject { ["ask"] = rules } }.ToJsonString()]);
        }

        argv.AddRange(["--append-system-prompt", context.FleetContext]);
        return argv;
    }

    /// <summary>
    /// The rules claude must send to the shim even when its permission mode would run the call unasked: the fleet's
    /// deny and destructive rules. Under <c>acceptEdits</c> claude runs filesystem commands such as <c>rm -rf build</c>
    /// inside its working directory without a permission request, so without these the shim never sees them and a
    /// fleet's own <c>gates.destructive</c> or <c>gates.deny</c> rule would not hold.
    /// </summary>
    public static IReadOnlyList<string> AskRules(FleetGates gates)
    {
        ArgumentNullException.ThrowIfNull(gates);
        return [.. gates.Deny.Concat(gates.Destructive).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Codex under app-server: the argv holds only configuration (the model, the effort); the thread with its approval
    /// policy and sandbox, the turn and the brief go over JSON-RPC on stdin (<see cref="Fleet.Workers.CodexAppServerSession"/>:
    /// codex 0.171.0 refuses <c>approval_policy="untrusted"</c> in its configuration but takes it per thread).
    /// <c>-c</c> values are parsed as TOML: the quotes make them strings.
    /// </summary>
    private static List<string> CodexAppServer(ResolvedWorker worker)
    {
        var argv = new List<string> { "codex", "app-server" };
        if (worker.Model is { } model)
        {
            argv.AddRange(["-c", $"model=\"{model}\""]);
        }

        if (worker.ReasoningEffort is { } effort)
        {
            argv.AddRange(["-c", $"model_reasoning_effort=\"{effort.Name()}\""]);
        }

        return argv;
    }

    private static List<string> Codex(ResolvedWorker worker, InvocationContext context)
    {
        if (context.CodexAppServer)
        {
            return CodexAppServer(worker);
        }

        var argv = new List<string> { "codex", "exec", "--json", "--skip-git-repo-check", "-C", context.WorkingDirectory };
        AddIf(argv, "-m", worker.Model);
        if (worker.ReasoningEffort is { } effort)
        {
            // -c values are parsed as TOML: the quotes make the value a TOML string.
            argv.AddRange(["-c", $"model_reasoning_effort=\"{effort.Name()}\""]);
        }

        argv.AddRange(["-s", "workspace-write", "-o", context.LastMessageFile]);
        if (context.Resume && context.SessionId is { } thread)
        {
            argv.AddRange(["resume", thread]);
        }

        argv.Add(context.Prompt);
        return argv;
    }

    /// <summary>
    /// Gemini under ACP (<c>--acp</c>, the Agent Client Protocol on stdio): the argv holds only configuration; the session
    /// (new, or the worker's own from its previous iteration loaded), the prompts and every permission request go over
    /// JSON-RPC on stdin (<see cref="Fleet.Workers.GeminiAcpSession"/>), as codex's app-server does. <c>--skip-trust</c>:
    /// in a folder not trusted before, gemini would otherwise run in a restricted mode.
    /// </summary>
    private static List<string> Gemini(ResolvedWorker worker)
    {
        var argv = new List<string> { "gemini", "--acp", "--skip-trust", "--approval-mode", GeminiGates.ApprovalMode(worker.PermissionMode) };
        AddIf(argv, "-m", worker.Model);
        return argv;
    }

    private static List<string> Command(ResolvedWorker worker, InvocationContext context)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["{iteration}"] = context.Iteration.ToString(CultureInfo.InvariantCulture),
            ["{prompt_file}"] = context.PromptFile,
            ["{root}"] = context.Root,
            ["{worker}"] = worker.Id,
        };
        return [.. worker.Command.Select(arg => Placeholders.Expand(arg, values))];
    }

    private static void AddIf(List<string> argv, string flag, string? value)
    {
        if (value is not null)
        {
            argv.AddRange([flag, value]);
        }
    }
}
