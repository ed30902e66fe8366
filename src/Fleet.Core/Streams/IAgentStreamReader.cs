namespace Fleet.Streams;

/// <summary>
/// Reads an agent's stdout stream (claude stream-json, codex exec --json, or a plain command's output)
/// one line at a time and keeps what the worker's outcome needs. Implementations never throw on bad
/// input: malformed lines are counted, unknown event types ignored.
/// </summary>
public interface IAgentStreamReader
{
    /// <summary>One line of the raw stream, without its newline.</summary>
    void Accept(ReadOnlySpan<byte> line);

    /// <summary>What the stream said so far; final once the stream has ended.</summary>
    AgentStreamSummary Summary { get; }
}

/// <summary>The outcome facts an agent's own stream reports.</summary>
/// <param name="SessionId">Claude session id or Codex thread id.</param>
/// <param name="CostUsd">Cost of this run only (for a resumed Codex thread, the usage delta priced).</param>
/// <param name="Turns">Agentic turns, when the stream says.</param>
/// <param name="ResultKind">The stream's final result kind (e.g. <c>success</c>, <c>error_max_budget_usd</c>), or null when no result was seen.</param>
/// <param name="IsError">True when the stream's result says the run failed (Claude: <c>is_error</c>, not <c>subtype</c>).</param>
/// <param name="ErrorText">The error the stream gave, if any.</param>
/// <param name="MalformedLines">Lines that were not valid JSON objects.</param>
/// <param name="InputTokens">Input tokens of this run (uncached), when known.</param>
/// <param name="OutputTokens">Output tokens of this run, when known.</param>
public sealed record AgentStreamSummary(
    string? SessionId,
    decimal? CostUsd,
    int? Turns,
    string? ResultKind,
    bool IsError,
    string? ErrorText,
    int MalformedLines,
    long? InputTokens = null,
    long? OutputTokens = null)
{
    public static AgentStreamSummary Empty { get; } = new(null, null, null, null, false, null, 0);

    /// <summary>Why the run failed, in a form code can branch on; <see cref="StreamFailure.None"/> when it did not.</summary>
    public StreamFailure Failure { get; init; }

    /// <summary>The model the stream named (Claude <c>system/init</c>) or the caller priced with (Codex).</summary>
    public string? Model { get; init; }

    /// <summary>Cache-read input tokens of this run (Claude <c>cacheReadInputTokens</c>, Codex <c>cached_input_tokens</c>).</summary>
    public long? CachedInputTokens { get; init; }

    /// <summary>Cache-write input tokens of this run (Claude <c>cacheCreationInputTokens</c>).</summary>
    public long? CacheCreationInputTokens { get; init; }

    /// <summary>Claude: the final <c>result.modelUsage</c>, per model (includes subagents and compaction).</summary>
    public IReadOnlyDictionary<string, ModelUsage>? ModelUsage { get; init; }

    /// <summary>Codex: the thread's cumulative usage after this run; the next resumed run's baseline.</summary>
    public CodexUsage? CumulativeUsage { get; init; }

    /// <summary>Claude: the session's total cost as the CLI reported it; the next resumed run's baseline.</summary>
    public decimal? CumulativeCostUsd { get; init; }

    /// <summary>Wall time the agent reported for the run, in milliseconds (Claude <c>duration_ms</c>).</summary>
    public long? DurationMs { get; init; }

    /// <summary>HTTP status of the API error that ended the run, when the stream says (Claude <c>api_error_status</c>).</summary>
    public int? ApiErrorStatus { get; init; }

    /// <summary>Claude: the class of the last failed model call (the synthetic message's <c>error</c>: <c>rate_limit</c>, <c>overloaded</c>, <c>billing_error</c> …).</summary>
    public string? ApiErrorKind { get; init; }

    /// <summary>API retries the stream announced (Claude <c>system/api_retry</c>).</summary>
    public int ApiRetries { get; init; }

    /// <summary>Tools the run was refused without a person (Claude <c>result.permission_denials[].tool_name</c>).</summary>
    public IReadOnlyList<string> PermissionDenials { get; init; } = [];

    /// <summary>Things the reader could not decide and did not guess (unknown price, ignored baseline, exit code disagreeing with the result).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Why a run failed, as far as its own stream (and exit code) tells.</summary>
public enum StreamFailure
{
    /// <summary>The run did not fail.</summary>
    None,

    /// <summary>Claude <c>error_max_budget_usd</c>: the <c>--max-budget-usd</c> cap was reached.</summary>
    MaxBudget,

    /// <summary>Claude <c>error_max_turns</c>: the <c>--max-turns</c> cap was reached.</summary>
    MaxTurns,

    /// <summary>The model API failed (Claude <c>is_error</c> with <c>api_error_status</c>, often under <c>subtype:"success"</c>).</summary>
    ApiError,

    /// <summary>Claude <c>error_during_execution</c> or another error result.</summary>
    ExecutionError,

    /// <summary>Codex <c>turn.failed</c>.</summary>
    TurnFailed,

    /// <summary>Codex top-level <c>error</c> event without a <c>turn.failed</c>.</summary>
    StreamError,

    /// <summary>The stream ended without a result line (crash, kill, bad flags).</summary>
    NoResult,

    /// <summary>The stream looked fine but the process exited non-zero.</summary>
    ExitCode,
}
