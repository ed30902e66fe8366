using System.Globalization;

namespace Fleet.Streams;

/// <summary>
/// Reads a Claude stream-json stdout. Rules:
/// <list type="bullet">
/// <item><c>result.is_error</c> decides failure, not <c>subtype</c> (API errors come as <c>subtype:"success"</c>).</item>
/// <item>Per-block usage on <c>assistant</c> lines is partial; cost and tokens come from the last <c>result</c> only.</item>
/// <item>Cost is <c>total_cost_usd</c>; tokens are summed over <c>modelUsage</c> (every model call), falling back to <c>usage</c>.</item>
/// <item>The session id is known from <c>system/init</c> (or any line carrying <c>session_id</c>).</item>
/// <item>A resumed session's <c>total_cost_usd</c> and <c>modelUsage</c> include the earlier runs (claude 2.1.332): with
/// a <see cref="ClaudeBaseline"/> the cost is the difference and the tokens are this run's <c>usage</c>.</item>
/// </list>
/// </summary>
/// <param name="baseline">The resumed session's cumulative cost before this run; null for a new session.</param>
public sealed class ClaudeStreamReader(ClaudeBaseline? baseline = null) : JsonStreamReader
{
    private string? _sessionId;
    private string? _model;
    private ClaudeResult? _result;
    private int _retries;
    private string? _apiErrorKind;
    private int? _exitCode;

    /// <summary>The session id, as soon as any line has told it.</summary>
    public string? SessionId => _sessionId;

    protected override void Parse(System.Text.Json.JsonElement root, List<AgentEvent> events)
    {
        _sessionId ??= root.Str("session_id");
        ClaudeStreamParser.Parse(root, events);
        foreach (var e in events)
        {
            switch (e)
            {
                case SessionStarted s:
                    _sessionId ??= s.SessionId;
                    _model ??= s.Model;
                    break;
                case ApiRetry:
                    _retries++;
                    break;
                case ApiError error:
                    _apiErrorKind = error.Kind ?? _apiErrorKind;
                    break;
                case ClaudeResult r:
                    // Streaming-input sessions emit one result per turn, each a running total: the latest wins.
                    _result = r;
                    _sessionId ??= r.SessionId;
                    break;
            }
        }
    }

    /// <summary>Tells the reader the process ended with <paramref name="exitCode"/>; a stream without a result then fails.</summary>
    public void Complete(int exitCode) => _exitCode = exitCode;

    public override AgentStreamSummary Summary => Summarize();

    private AgentStreamSummary Summarize()
    {
        var notes = new List<string>();
        if (_result is not { } r)
        {
            var ended = _exitCode.HasValue;
            return new AgentStreamSummary(_sessionId, null, null, null, ended, ended ? NoResultText(_exitCode!.Value) : null, MalformedLines)
            {
                Failure = ended ? StreamFailure.NoResult : StreamFailure.None,
                Model = _model,
                ApiRetries = _retries,
            };
        }

        var (failure, errorText) = Outcome(r);
        if (_exitCode is { } exit && (exit != 0) != r.IsError)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"exit code {exit} disagrees with result is_error={r.IsError.ToString().ToLowerInvariant()}; the result decides"));

        long? input, output, cacheRead, cacheWrite;
        var resumed = ResumedRun.IsResumed(baseline, _sessionId);
        if (r.ModelUsage.Count > 0 && !(resumed && r.Usage is not null))
        {
            input = r.ModelUsage.Values.Sum(m => m.InputTokens);
            output = r.ModelUsage.Values.Sum(m => m.OutputTokens);
            cacheRead = r.ModelUsage.Values.Sum(m => m.CacheReadInputTokens);
            cacheWrite = r.ModelUsage.Values.Sum(m => m.CacheCreationInputTokens);
        }
        else
        {
            input = r.Usage?.InputTokens;
            output = r.Usage?.OutputTokens;
            cacheRead = r.Usage?.CacheReadInputTokens;
            cacheWrite = r.Usage?.CacheCreationInputTokens;
        }

        // A CLI that does not fold earlier runs in reports less than the baseline: its total is this run's.
        var cost = ResumedRun.ClaudeCost(r.TotalCostUsd, resumed ? baseline!.CumulativeCostUsd : null);
        return new AgentStreamSummary(_sessionId, cost, r.NumTurns, r.Subtype.Length > 0 ? r.Subtype : "unknown", r.IsError, errorText, MalformedLines, input, output)
        {
            Failure = failure,
            Model = _model ?? (r.ModelUsage.Count == 1 ? r.ModelUsage.Keys.First() : null),
            CumulativeCostUsd = r.TotalCostUsd,
            CachedInputTokens = cacheRead,
            CacheCreationInputTokens = cacheWrite,
            ModelUsage = r.ModelUsage,
            DurationMs = r.DurationMs,
            ApiErrorStatus = r.ApiErrorStatus,
            ApiErrorKind = _apiErrorKind,
            ApiRetries = _retries,
            PermissionDenials = [.. r.PermissionDenials.Select(d => d.ToolName)],
            Notes = notes,
        };
    }

    /// <summary>Why a result failed, as code and as a line a person reads (<c>max budget: Reached maximum budget ($0.0001)</c>).</summary>
    public static (StreamFailure Failure, string? Text) Outcome(ClaudeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.IsError)
            return (StreamFailure.None, null);

        var detail = result.Errors.Count > 0 ? string.Join("; ", result.Errors) : result.ResultText;
        return result.Subtype switch
        {
            "error_max_budget_usd" => (StreamFailure.MaxBudget, Join("max budget", detail)),
            "error_max_turns" => (StreamFailure.MaxTurns, Join("max turns", detail)),
            _ when result.ApiErrorStatus is not null || (result.ResultText?.StartsWith("API Error", StringComparison.Ordinal) ?? false) =>
                (StreamFailure.ApiError, detail ?? string.Create(CultureInfo.InvariantCulture, $"API error {result.ApiErrorStatus}")),
            _ => (StreamFailure.ExecutionError, Join(result.Subtype.Length > 0 ? result.Subtype : "error", detail)),
        };
    }

    private static string Join(string reason, string? detail) => string.IsNullOrWhiteSpace(detail) ? reason : $"{reason}: {detail}";

    private static string NoResultText(int exitCode) =>
        string.Create(CultureInfo.InvariantCulture, $"no result: the stream ended without a result line (exit code {exitCode})");
}

/// <summary>A resumed claude session before this run: its id and what the CLI reported as its total cost so far.</summary>
public sealed record ClaudeBaseline(string SessionId, decimal CumulativeCostUsd);
