using System.Text.Json;
using Fleet.Paths;

namespace Fleet.Workers;

/// <summary>
/// Everything the worker shim needs to run one agent for one iteration. The orchestrator writes it as JSON
/// (snake_case) and starts <c>fleet worker --spec FILE</c>, which hands it to <see cref="WorkerShim.RunAsync(WorkerLaunchSpec, CancellationToken)"/>.
/// </summary>
public sealed record WorkerLaunchSpec
{
    /// <summary>The worker id from fleet.json; it names the files.</summary>
    public required string Worker { get; init; }

    /// <summary>The iteration number, from 1.</summary>
    public required int Iteration { get; init; }

    /// <summary><c>&lt;root&gt;/iterations/&lt;N&gt;</c>; created if missing.</summary>
    public required string IterationDir { get; init; }

    /// <summary>The agent's argv, program first. Never a shell string.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>The agent's working directory (the worker's worktree); null for the shim's own.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment changes: a value sets a variable, null removes it.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Which reader parses stdout: <c>claude</c>, <c>codex</c>, <c>gemini</c> or <c>plain</c> (a command worker).</summary>
    public string StreamFormat { get; init; } = WorkerStreamFormats.Plain;

    /// <summary>The model the worker asked for; codex streams never name it, and its cost needs it.</summary>
    public string? Model { get; init; }

    /// <summary>A price file that overrides the embedded codex price table (<c>--prices</c>).</summary>
    public string? PricesFile { get; init; }

    /// <summary>Codex: the resumed thread's cumulative usage before this run, so this run's cost is the difference.</summary>
    public Fleet.Streams.CodexBaseline? CodexBaseline { get; init; }

    /// <summary>Claude: the resumed session's cumulative cost before this run, so this run's cost is the difference.</summary>
    public Fleet.Streams.ClaudeBaseline? ClaudeBaseline { get; init; }

    /// <summary>How long after the agent's exit its pipes may stay open (grandchildren) before the shim stops reading.</summary>
    public double? DrainTimeoutSeconds { get; init; }

    /// <summary>
    /// Claude with <c>--input-format stream-json</c>: the brief, sent on stdin as the first user message. stdin then
    /// stays open for the control protocol and is closed after the <c>result</c> event. Null: stdin is closed at once.
    /// </summary>
    public string? PromptOnStdin { get; init; }

    /// <summary>
    /// Codex under <c>codex app-server</c>: the thread and the turn the shim asks for on its stdin (JSON-RPC). stdin
    /// stays open while a turn runs and is closed once the last one has completed. Null: not an app-server worker.
    /// </summary>
    public CodexAppServerSession? CodexSession { get; init; }

    /// <summary>
    /// Gemini under <c>gemini --acp</c>: the session and the prompt the shim asks for on its stdin (JSON-RPC). stdin stays
    /// open while a prompt runs and is closed once the last one has ended. Null: not an ACP worker.
    /// </summary>
    public GeminiAcpSession? GeminiSession { get; init; }

    /// <summary>
    /// Claude with <c>--permission-prompt-tool stdio</c>, codex under app-server: the rules that answer its <c>can_use_tool</c> requests; the
    /// rest go to a person through the inbox (<see cref="Fleet.Gates.GatePaths"/>). Needs <see cref="PromptOnStdin"/>.
    /// </summary>
    public WorkerGates? Gates { get; init; }

    /// <summary>
    /// The orchestrator's <see cref="ShimLink"/> name; null for none. A linked shim says which worker it runs and,
    /// once that worker's exit.json is written, stays to run the next spec the orchestrator hands it.
    /// </summary>
    public string? LinkName { get; init; }

    /// <summary>
    /// Null for a (worker, iteration)'s first run; 2 and on for a continuation of its session after a usage or rate
    /// limit. It goes into the claim and names a limited run's record (<see cref="WorkerFiles.LimitedExitJson"/>).
    /// </summary>
    public int? Attempt { get; init; }

    public static async Task<WorkerLaunchSpec> ReadAsync(string path, CancellationToken cancellationToken)
    {
        Paths.InputFiles.Require(path, path);
        await using var stream = File.OpenRead(path);
        var spec = await JsonSerializer.DeserializeAsync(stream, WorkerJsonContext.Default.WorkerLaunchSpec, cancellationToken)
            ?? throw new InvalidDataException($"{path}: the worker spec is null.");
        spec.Validate();
        return spec;
    }

    /// <summary>Replaces the spec file whole: a shim that is reading an earlier one (started before a crash) reads all of it.</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken) =>
        PrivateFiles.ReplaceAsync(path, JsonSerializer.SerializeToUtf8Bytes(this, WorkerJsonContext.Default.WorkerLaunchSpec), cancellationToken);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        ThrowIfBadWorkerId(Worker);
        if (Iteration < 1)
        {
            throw new ArgumentException($"iteration must be 1 or more, not {Iteration}.", nameof(Iteration));
        }

        if (string.IsNullOrWhiteSpace(IterationDir))
        {
            throw new ArgumentException("iteration_dir is required.", nameof(IterationDir));
        }

        if (Argv is null || Argv.Count == 0 || string.IsNullOrEmpty(Argv[0]))
        {
            throw new ArgumentException("argv needs at least the program.", nameof(Argv));
        }

        if (Attempt is < 2)
        {
            throw new ArgumentException($"attempt is 2 or more (a continuation), or absent; not {Attempt}.", nameof(Attempt));
        }

        var channels = (PromptOnStdin is null ? 0 : 1) + (CodexSession is null ? 0 : 1) + (GeminiSession is null ? 0 : 1);
        if (Gates is not null && channels == 0)
        {
            throw new ArgumentException("gates need prompt_on_stdin, codex_session or gemini_session: the gates are answered on the agent's stdin.", nameof(Gates));
        }

        if (channels > 1)
        {
            throw new ArgumentException("prompt_on_stdin (claude), codex_session (codex app-server) and gemini_session (gemini --acp) exclude each other.", nameof(CodexSession));
        }

        Gates?.ToPolicy();
    }

    /// <summary>A worker id names files: not empty, not <c>.</c> or <c>..</c>, no <c>/</c>.</summary>
    public static bool IsValidWorkerId(string? worker) =>
        !string.IsNullOrWhiteSpace(worker) && worker is not ("." or "..") && worker.IndexOfAny(['/', '\0']) < 0;

    internal static void ThrowIfBadWorkerId(string worker)
    {
        if (!IsValidWorkerId(worker))
        {
            throw new ArgumentException($"'{worker}' cannot be a worker id: it names files, so it may not be empty, '.', '..' or contain '/'.", nameof(worker));
        }
    }
}

/// <summary>A worker's gate rules (fleet.json's <c>gates</c> plus .fleet/gates.json) and where the run's rules are.</summary>
public sealed record WorkerGates
{
    public IReadOnlyList<string> Allow { get; init; } = [];

    public IReadOnlyList<string> Deny { get; init; } = [];

    public IReadOnlyList<string> Destructive { get; init; } = [];

    /// <summary><c>.fleet/gates.run.json</c>: read again on every request; null for none.</summary>
    public string? RunRulesFile { get; init; }

    /// <summary>The policy; throws <see cref="ArgumentException"/> for a rule that does not parse.</summary>
    public Fleet.Gates.Policy.GatePolicy ToPolicy()
    {
        try
        {
            return Fleet.Gates.Policy.GatePolicy.Parse(Allow, Deny, Destructive);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("gates: " + e.Message, nameof(WorkerLaunchSpec.Gates), e);
        }
    }
}

/// <summary>What the shim asks a <c>codex app-server</c> for: a thread (new, or resumed) and one turn with the brief.</summary>
public sealed record CodexAppServerSession
{
    /// <summary>The brief: the first turn's input.</summary>
    public required string Prompt { get; init; }

    /// <summary>The thread to resume (<c>thread/resume</c>); null starts a new one (<c>thread/start</c>).</summary>
    public string? ResumeThread { get; init; }

    /// <summary>
    /// Codex's approval policy. <c>untrusted</c> asks about every command but codex's known read-only ones, so the
    /// shim's gate rules see them all.
    /// </summary>
    public string ApprovalPolicy { get; init; } = "untrusted";

    public string Sandbox { get; init; } = "workspace-write";
}

/// <summary>The values of <see cref="WorkerLaunchSpec.StreamFormat"/>.</summary>
public static class WorkerStreamFormats
{
    public const string Claude = "claude";
    public const string Codex = "codex";
    public const string Gemini = "gemini";
    public const string Plain = "plain";
}

/// <summary>What the shim asks a <c>gemini --acp</c> for: a session (new, or loaded) and one prompt with the brief.</summary>
public sealed record GeminiAcpSession
{
    /// <summary>The brief: the first prompt.</summary>
    public required string Prompt { get; init; }

    /// <summary>The session to load (<c>session/load</c>); null starts a new one (<c>session/new</c>).</summary>
    public string? ResumeSession { get; init; }

    /// <summary>The worker's permission mode, applied by fleet's gates (<see cref="Fleet.Providers.GeminiGates.UnaskedBy"/>).</summary>
    public Fleet.Spec.PermissionMode PermissionMode { get; init; } = Fleet.Spec.FleetDefaults.DefaultPermissionMode;
}
