using System.Text.Json.Nodes;

namespace Fleet.Rehearsal;

/// <summary>Which wire protocol (and so which agent CLI) a model call came in on.</summary>
public enum RehearsalProvider
{
    /// <summary>Anthropic Messages API: <c>claude</c>.</summary>
    Claude,

    /// <summary>OpenAI Responses API: <c>codex</c>.</summary>
    Codex,

    /// <summary>Gemini API <c>streamGenerateContent</c>: <c>gemini</c>.</summary>
    Gemini,
}

/// <summary>
/// Token usage the endpoint reports for one model call, in Anthropic's terms: <see cref="InputTokens"/> is the
/// uncached input, cache writes and reads are separate. Claude gets these numbers as they are. Codex (OpenAI
/// Responses) gets <c>input_tokens</c> = input + cache write + cache read, of which <c>cached_tokens</c> = cache
/// read, and <c>reasoning_tokens</c> = <see cref="ReasoningOutputTokens"/> (a part of <see cref="OutputTokens"/>).
/// </summary>
public sealed record RehearsalUsage(
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens = 0,
    long CacheReadInputTokens = 0,
    long ReasoningOutputTokens = 0)
{
    /// <summary>What a turn reports when the script gives no usage: small but non-zero.</summary>
    public static RehearsalUsage Default { get; } = new(1000, 100);
}

/// <summary>One scripted model turn. Each turn becomes one model response (claude's edit becomes two: Read, then Edit).</summary>
/// <remarks>String fields may use the placeholders <c>{fleet}</c>, <c>{worker}</c>, <c>{iteration}</c> and <c>{cwd}</c>.</remarks>
public abstract record RehearsalTurn
{
    /// <summary>Usage reported for this turn (every response it becomes reports it).</summary>
    public RehearsalUsage Usage { get; init; } = RehearsalUsage.Default;

    /// <summary>Optional text the model says before its tool call.</summary>
    public string? Say { get; init; }
}

/// <summary>Ends the conversation with a text answer (stop reason end_turn).</summary>
public sealed record TextTurn(string Text) : RehearsalTurn;

/// <summary>Writes a file: claude's Write tool; codex runs a shell command (exact bytes through printf).</summary>
/// <param name="Path">Relative paths resolve against the agent's working directory.</param>
/// <param name="Content">The exact text the file gets.</param>
public sealed record WriteFileTurn(string Path, string Content) : RehearsalTurn;

/// <summary>Replaces text in a file: claude's Read then Edit; codex's <c>apply_patch</c> through its shell tool.</summary>
public sealed record EditFileTurn(string Path, string OldString, string NewString) : RehearsalTurn;

/// <summary>Runs a shell command: claude's Bash tool (may need permission under the run's mode); codex's exec_command.</summary>
public sealed record ShellTurn(string Command) : RehearsalTurn;

/// <summary>Calls any tool by name with the given input, as the CLI names it (e.g. claude <c>Bash</c>, codex <c>exec_command</c>).</summary>
public sealed record ToolCallTurn(string Name, JsonObject Input) : RehearsalTurn;

/// <summary>
/// Gives the run's structured output (<c>claude -p --json-schema</c>, <c>codex exec --output-schema</c>): claude's
/// <c>StructuredOutput</c> tool called with <see cref="Value"/> when the request offers that tool (claude validates it
/// against the schema and ends the run); otherwise, and for codex, a final message whose text is the value as JSON.
/// </summary>
public sealed record StructuredOutputTurn(JsonObject Value) : RehearsalTurn
{
    /// <summary>The tool claude 2.1.197 adds to its request when given <c>--json-schema</c> (input_schema = the schema).</summary>
    public const string ClaudeToolName = "StructuredOutput";
}

/// <summary>Fails the model call with an HTTP status and an error body in the provider's format.</summary>
/// <param name="Status">HTTP status, 400-599 (e.g. 400, 429, 500, 529).</param>
/// <param name="Message">Error message in the provider's error body.</param>
/// <param name="ErrorType">Provider error type; by default derived from the status (529: overloaded_error).</param>
/// <param name="Times">How many calls at this position fail before the script goes on; null = every call (the run ends).</param>
public sealed record FailTurn(int Status, string Message, string? ErrorType = null, int? Times = null) : RehearsalTurn
{
    public string EffectiveErrorType => ErrorType ?? Status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
}

/// <summary>Which limit a <see cref="LimitTurn"/> plays, in the provider's own shape.</summary>
public enum LimitShape
{
    /// <summary>A plan's usage limit with its reset time: claude 429 with <c>anthropic-ratelimit-unified-*</c> headers; codex 429 <c>usage_limit_reached</c> with <c>resets_at</c>.</summary>
    UsageLimit,

    /// <summary>A transient rate limit: HTTP 429 (<c>rate_limit_error</c> / <c>rate_limit_exceeded</c>) with <c>retry-after</c>.</summary>
    RateLimit,

    /// <summary>The API is overloaded: claude 529 <c>overloaded_error</c>; codex 503 <c>server_overloaded</c>.</summary>
    Overloaded,
}

/// <summary>
/// Fails the model call with a usage or rate limit, as the real API does. Unlike <see cref="FailTurn"/> it fails
/// every call at its position (the CLI's own retries included) until fleet continues the session after the limit:
/// a request whose prompt is fleet's continuation note (<see cref="Fleet.Limits.LimitContinuation.Marker"/>) goes
/// past it, as a real limit has reset by then.
/// </summary>
/// <param name="Shape">Which limit.</param>
/// <param name="ResetsInSeconds">Usage limit: the reset time, relative to the call; rate limit: <c>retry-after</c>.</param>
public sealed record LimitTurn(LimitShape Shape, int? ResetsInSeconds) : RehearsalTurn;
