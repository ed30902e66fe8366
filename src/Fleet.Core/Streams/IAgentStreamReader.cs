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
}
