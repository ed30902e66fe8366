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
    /// <summary>Input billed at the full input price.</summary>
    public long UncachedInputTokens => Math.Max(0, InputTokens - CachedInputTokens);
}

/// <summary>
/// Reads <c>gemini -p … -o stream-json</c> (Gemini CLI 0.61.0). Rules:
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
public sealed class GeminiStreamReader : IAgentStreamReader
{
    private readonly List<AgentEvent> _scratch = [];
    private readonly PriceTable _prices;
    private readonly Dictionary<string, GeminiUsage> _usage = new(StringComparer.Ordinal);
    private string? _sessionId;
    private string? _model;
    private string? _status;
    private string? _error;
    private long? _durationMs;
    private int _malformed;
    private bool _sawResult;

    /// <param name="prices">Prices to cost the run with; <see cref="PriceTable.Default"/> when null.</param>
    public GeminiStreamReader(PriceTable? prices = null) => _prices = prices ?? PriceTable.Default;

    public void Accept(ReadOnlySpan<byte> line) => Read(line);

    /// <summary>Reads one line, updates the summary, and returns the line's events (for a viewer).</summary>
    public IReadOnlyList<AgentEvent> Read(ReadOnlySpan<byte> line)
    {
        var kind = JsonLine.TryParse(line, out var doc);
        if (kind == JsonLine.Kind.Malformed)
            _malformed++;
        if (kind != JsonLine.Kind.Object)
            return [];

        _scratch.Clear();
        using (doc)
            Parse(doc!.RootElement);
        return [.. _scratch];
    }

    private void Parse(JsonElement e)
    {
        switch (e.Str("type"))
        {
            case "init":
                _sessionId ??= e.Str("session_id");
                _model ??= e.Str("model");
                if (e.Str("session_id") is { } id)
                    _scratch.Add(new SessionStarted(id, e.Str("model"), null, null, [], null));
                break;
            case "message" when e.Str("role") == "assistant" && e.Str("content") is { Length: > 0 } text:
                _scratch.Add(new AssistantText(text, null));
                break;
            case "tool_use":
                _scratch.Add(new ToolCall(e.Str("tool_name") ?? "?", e.Str("tool_id") ?? string.Empty, InputSummary(e.Prop("parameters")), null));
                break;
            case "tool_result":
                var failed = e.Str("status") == "error";
                var message = e.Prop("error") is { } err ? err.Str("message") : e.Str("output");
                _scratch.Add(new ToolResult(e.Str("tool_id") ?? string.Empty, failed, FirstLine(message ?? string.Empty)));
                break;
            case "error":
                var severity = e.Str("severity");
                var said = e.Str("message") ?? "error";
                if (severity is null or "error")
                    _error ??= said;
                _scratch.Add(new ApiError(null, severity, said));
                break;
            case "result":
                _sawResult = true;
                _status = e.Str("status");
                if (e.Prop("error") is { } resultError)
                    _error ??= resultError.Str("message") ?? resultError.Str("type");
                if (e.Prop("stats") is { } stats)
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

    public AgentStreamSummary Summary
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
                : _status == "success" && _error is null ? (StreamFailure.None, (string?)null)
                : (StreamFailure.ExecutionError, _error ?? string.Create(CultureInfo.InvariantCulture, $"result status {_status ?? "missing"}"));
            var priced = _usage.Where(u => u.Value.InputTokens > 0 || u.Value.OutputTokens > 0).ToList();
            return new AgentStreamSummary(
                _sessionId,
                cost,
                null,
                _status,
                failure != StreamFailure.None,
                text,
                _malformed,
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
