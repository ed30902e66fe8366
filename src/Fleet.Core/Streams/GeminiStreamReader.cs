using System.Globalization;
using System.Text.Json;
using Fleet.Pricing;

namespace Fleet.Streams;

/// <summary>Gemini token usage of one model in one run (<c>result.stats.models[m]</c>).</summary>
/// <param name="InputTokens">Prompt tokens, cached ones included (<c>input_tokens</c>).</param>
/// <param name="CachedInputTokens">The cached part of the prompt (<c>cached</c>).</param>
/// <param name="OutputTokens">Output billed as output: the candidates plus the model's thoughts (<c>total_tokens</c> minus the prompt).</param>
public sealed record GeminiUsage(long InputTokens, long CachedInputTokens, long OutputTokens)
{
    /// <summary>Both runs' tokens together.</summary>
    public GeminiUsage Add(GeminiUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new GeminiUsage(InputTokens + other.InputTokens, CachedInputTokens + other.CachedInputTokens, OutputTokens + other.OutputTokens);
    }

    /// <summary>Input billed at the full input price.</summary>
    public long UncachedInputTokens => Math.Max(0, InputTokens - CachedInputTokens);
}

/// <summary>
/// Reads a gemini worker's stdout: <c>gemini --acp</c>'s JSON-RPC (what fleet runs; <see cref="GeminiAcp"/>), or
/// <c>gemini -p … -o stream-json</c> (Gemini CLI 0.61.0 headless, as earlier fleets ran it). Headless rules:
/// <list type="bullet">
/// <item>The session id is <c>init.session_id</c>; <c>init.model</c> is what was asked for (<c>auto</c> routes per call).</item>
/// <item>The last line is <c>result</c> with <c>status</c> <c>success</c> or <c>error</c> and <c>stats</c>: this process's
/// tokens per model (<c>stats.models</c>), so a resumed session's run reports only its own calls.</item>
/// <item>Cost is each model's tokens times its <see cref="PriceTable"/> entry. Gemini bills the model's thoughts as
/// output, and <c>output_tokens</c> counts only the candidates, so output is <c>total_tokens - input_tokens</c>. A model
/// with tokens and no price leaves the cost unknown (a note says which), never a guess.</item>
/// <item>Failure: <c>result.status:"error"</c>, a top-level <c>error</c> event of severity <c>error</c>, or no result.</item>
/// </list>
/// </summary>
public sealed class GeminiStreamReader : JsonStreamReader
{
    private readonly PriceTable _prices;
    private readonly Dictionary<string, GeminiUsage> _usage = new(StringComparer.Ordinal);
    private string? _sessionId;
    private string? _model;
    private string? _status;
    private string? _error;
    private long? _durationMs;
    private bool _sawResult;

    /// <param name="prices">Prices to cost the run with; <see cref="PriceTable.Default"/> when null.</param>
    public GeminiStreamReader(PriceTable? prices = null) => _prices = prices ?? PriceTable.Default;

    protected override void Parse(JsonElement root, List<AgentEvent> events)
    {
        if (GeminiAcp.IsMessage(root))
        {
            ParseAcp(root, events);
            return;
        }

        switch (root.Str("type"))
        {
            case "init":
                _sessionId ??= root.Str("session_id");
                _model ??= root.Str("model");
                if (root.Str("session_id") is { } id)
                    events.Add(new SessionStarted(id, root.Str("model"), null, null, [], null));
                break;
            case "message" when root.Str("role") == "assistant" && root.Str("content") is { Length: > 0 } text:
                events.Add(new AssistantText(text, null));
                break;
            case "tool_use":
                events.Add(new ToolCall(root.Str("tool_name") ?? "?", root.Str("tool_id") ?? string.Empty, InputSummary(root.Prop("parameters")), null));
                break;
            case "tool_result":
                var failed = root.Str("status") == "error";
                var message = root.Prop("error") is { } err ? err.Str("message") : root.Str("output");
                events.Add(new ToolResult(root.Str("tool_id") ?? string.Empty, failed, FirstLine(message ?? string.Empty)));
                break;
            case "error":
                var severity = root.Str("severity");
                var said = root.Str("message") ?? "error";
                if (severity is null or "error")
                    _error ??= said;
                events.Add(new ApiError(null, severity, said));
                break;
            case "result":
                _sawResult = true;
                _status = root.Str("status");
                if (root.Prop("error") is { } resultError)
                    _error ??= resultError.Str("message") ?? resultError.Str("type");
                if (root.Prop("stats") is { } stats)
                {
                    _durationMs = stats.Long("duration_ms");
                    _usage.Clear();
                    if (stats.Prop("models") is { ValueKind: JsonValueKind.Object } models)
                    {
                        foreach (var m in models.EnumerateObject())
                            _usage[m.Name] = Usage(m.Value);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// One ACP message: the session from <c>session/new</c>'s answer or any update; each <c>session/prompt</c> answer's
    /// usage is added per model (a process's prompts are its own); the last prompt's stop reason is the status; an error
    /// answer is a failure. Updates a loaded session replays (tool calls already <c>completed</c>) are not new calls.
    /// </summary>
    private void ParseAcp(JsonElement e, List<AgentEvent> events)
    {
        if (e.Str("method") is { } method)
        {
            var p = e.Prop("params");
            if (p?.Str("sessionId") is { } session && _sessionId is null)
            {
                _sessionId = session;
                events.Add(new SessionStarted(session, _model, null, null, [], null));
            }

            if (method == "session/request_permission" && p?.Prop("toolCall") is { } asked)
            {
                events.Add(new ToolCall(GeminiAcp.ToolName(asked), asked.Str("toolCallId") ?? string.Empty, FirstLine(asked.Str("title") ?? string.Empty), null));
            }
            else if (method == "session/update" && p?.Prop("update") is { } update)
            {
                switch (update.Str("sessionUpdate"))
                {
                    case "agent_message_chunk" when update.Prop("content")?.Str("text") is { Length: > 0 } text:
                        events.Add(new AssistantText(text, null));
                        break;
                    case "tool_call" when update.Str("status") is null or "pending" or "in_progress":
                        events.Add(new ToolCall(GeminiAcp.ToolName(update), update.Str("toolCallId") ?? string.Empty, FirstLine(update.Str("title") ?? string.Empty), null));
                        break;
                    case "tool_call_update" when update.Str("status") is "completed" or "failed":
                        var said = update.Array("content").Select(c => c.Prop("content")?.Str("text")).OfType<string>().FirstOrDefault() ?? update.Str("title") ?? string.Empty;
                        events.Add(new ToolResult(update.Str("toolCallId") ?? string.Empty, update.Str("status") == "failed", FirstLine(said)));
                        break;
                }
            }

            return;
        }

        if (e.Prop("error") is { } error)
        {
            var message = error.Str("message") ?? "error";
            _error ??= message;
            events.Add(new ApiError(error.Long("code") is { } code ? (int)code : null, "error", message));
            return;
        }

        if (e.Prop("result") is not { ValueKind: JsonValueKind.Object } result)
            return;
        if (result.Prop("models")?.Str("currentModelId") is { } model)
            _model ??= model;
        if (result.Str("sessionId") is { } id && _sessionId is null)
        {
            _sessionId = id;
            events.Add(new SessionStarted(id, _model, null, null, [], null));
        }

        if (result.Str("stopReason") is { } stop)
        {
            _sawResult = true;
            _status = stop;
            foreach (var (name, usage) in GeminiAcp.Usage(result))
                _usage[name] = _usage.TryGetValue(name, out var before) ? before.Add(usage) : usage;
        }
    }

    /// <summary>One model's stats: thoughts (and the rest of <c>total_tokens</c> beyond the prompt) are billed as output.</summary>
    public static GeminiUsage Usage(JsonElement stats)
    {
        var input = stats.Long("input_tokens") ?? 0;
        var output = stats.Long("output_tokens") ?? 0;
        var total = stats.Long("total_tokens") ?? input + output;
        return new GeminiUsage(input, stats.Long("cached") ?? 0, Math.Max(output, total - input));
    }

    /// <summary>The cost of <paramref name="usage"/> per model; null with a note when a model that used tokens has no price.</summary>
    public static decimal? Cost(IReadOnlyDictionary<string, GeminiUsage> usage, PriceTable prices, List<string> notes)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(notes);
        var cost = 0m;
        var known = true;
        foreach (var (model, u) in usage)
        {
            if (u.InputTokens == 0 && u.OutputTokens == 0)
                continue;
            if (prices.Find(model) is { } price)
            {
                cost += price.Cost(u.UncachedInputTokens, u.CachedInputTokens, u.OutputTokens);
            }
            else
            {
                notes.Add($"no price for model '{model}' in the price table: cost not computed");
                known = false;
            }
        }

        return known ? cost : null;
    }

    public override AgentStreamSummary Summary
    {
        get
        {
            var notes = new List<string>();
            decimal? cost = null;
            if (_sawResult)
                cost = Cost(_usage, _prices, notes);
            else
                notes.Add("no result: cost unknown");

            var (failure, text) = !_sawResult
                ? (StreamFailure.NoResult, _error ?? "no result: the stream ended without a result line")
                : _status is "success" or "end_turn" && _error is null ? (StreamFailure.None, (string?)null)
                : (StreamFailure.ExecutionError, _error ?? string.Create(CultureInfo.InvariantCulture, $"result status {_status ?? "missing"}"));
            var priced = _usage.Where(u => u.Value.InputTokens > 0 || u.Value.OutputTokens > 0).ToList();
            return new AgentStreamSummary(
                _sessionId,
                cost,
                null,
                _status,
                failure != StreamFailure.None,
                text,
                MalformedLines,
                _sawResult ? priced.Sum(u => u.Value.UncachedInputTokens) : null,
                _sawResult ? priced.Sum(u => u.Value.OutputTokens) : null)
            {
                Failure = failure,
                Model = priced.Count == 1 ? priced[0].Key : _model,
                CachedInputTokens = _sawResult ? priced.Sum(u => u.Value.CachedInputTokens) : null,
                DurationMs = _durationMs,
                Notes = notes,
            };
        }
    }

    private static string InputSummary(JsonElement? parameters)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } p)
            return string.Empty;
        return FirstLine(p.Str("command") ?? p.Str("file_path") ?? p.Str("dir_path") ?? p.Str("pattern") ?? p.Str("url") ?? string.Empty);
    }

    private static string FirstLine(string s)
    {
        var nl = s.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? s : s[..nl];
    }
}

/// <summary>
/// What fleet reads of <c>gemini --acp</c>'s stdout (Agent Client Protocol, Gemini CLI 0.61.0), shared by the worker's
/// stream reader and the telemetry reader of its log, so the exit record and <c>fleet usage</c> price the same tokens.
/// Each <c>session/prompt</c> answer carries that prompt's tokens in <c>_meta.quota.model_usage</c>: per model, input
/// (the whole prompt, cached part included) and output (the candidates). ACP reports neither the cached part nor the
/// model's thoughts, so a gemini worker's cost prices all input at the full input price and leaves the thoughts out;
/// gemini's own session file has both (<c>fleet usage</c> reads it for sessions a person ran).
/// </summary>
public static class GeminiAcp
{
    /// <summary>A JSON-RPC message (ACP), as opposed to a headless stream-json event.</summary>
    public static bool IsMessage(JsonElement e) =>
        e.Str("jsonrpc") == "2.0" || (e.Prop("type") is null && (e.Prop("method") is not null || e.Prop("result") is not null || e.Prop("error") is not null));

    /// <summary>The tokens of one <c>session/prompt</c> answer, per model.</summary>
    public static IEnumerable<(string Model, GeminiUsage Usage)> Usage(JsonElement result)
    {
        var quota = result.Prop("_meta")?.Prop("quota");
        if (quota is not { ValueKind: JsonValueKind.Object } q)
            yield break;
        foreach (var model in q.Array("model_usage"))
        {
            if (model.Str("model") is { } name && model.Prop("token_count") is { } tokens)
                yield return (name, new GeminiUsage(tokens.Long("input_tokens") ?? 0, 0, tokens.Long("output_tokens") ?? 0));
        }
    }

    /// <summary>
    /// The tool a tool call ran: gemini names its call ids after the tool (<c>run_shell_command__…</c> when the model gave
    /// the id, <c>run_shell_command-1765000000000-1</c> when gemini made one up); else the call's kind.
    /// </summary>
    public static string ToolName(JsonElement toolCall)
    {
        var id = toolCall.Str("toolCallId") ?? string.Empty;
        var cut = id.IndexOf("__", StringComparison.Ordinal);
        if (cut > 0)
            return id[..cut];
        var parts = id.Split('-');
        if (parts.Length >= 3 && parts[^1].All(char.IsAsciiDigit) && parts[^2].All(char.IsAsciiDigit) && parts[^1].Length > 0 && parts[^2].Length > 0)
            return string.Join('-', parts[..^2]);
        return toolCall.Str("kind") ?? "?";
    }
}
