using System.Globalization;
using Fleet.Pricing;

namespace Fleet.Streams;

/// <summary>
/// The previous run's view of a Codex thread: its id and cumulative usage, from that run's record.
/// When <c>ThreadId</c> is set, the baseline applies only if this run reports the same thread.
/// </summary>
public sealed record CodexBaseline(string? ThreadId, CodexUsage CumulativeUsage);

/// <summary>
/// Reads a <c>codex exec --json</c> stdout, or a <c>codex app-server</c> one (its JSON-RPC messages). Rules:
/// <list type="bullet">
/// <item>The session id is <c>thread.started.thread_id</c> (app-server: <c>thread/started</c>'s <c>thread.id</c>).</item>
/// <item><c>turn.completed.usage</c> (app-server: <c>thread/tokenUsage/updated</c>'s <c>tokenUsage.total</c>) is the
/// thread's cumulative total: the latest snapshot wins (a repeated snapshot is never added twice), and this run's
/// usage is that total minus the <see cref="CodexBaseline"/>.</item>
/// <item>Cost is this run's tokens times the <see cref="PriceTable"/> entry for the model; an unknown model
/// gives a null cost and a note, never a guess. Codex streams do not name the model: the caller does.</item>
/// <item>Failure: <c>turn.failed</c>, a top-level <c>error</c>, or a non-zero exit code. <c>item.completed{type:error}</c>
/// items are warnings, not failures.</item>
/// </list>
/// </summary>
public sealed class CodexStreamReader : JsonStreamReader
{
    private readonly string? _model;
    private readonly PriceTable _prices;
    private readonly CodexBaseline? _baseline;
    private string? _threadId;
    private CodexUsage? _cumulative;
    private int _turns;
    private bool _completed;
    private string? _turnFailed;
    private string? _streamError;
    private int? _exitCode;

    /// <param name="model">The model the worker ran (fleet config); null when unknown.</param>
    /// <param name="prices">Prices to cost the run with; <see cref="PriceTable.Default"/> when null.</param>
    /// <param name="baseline">The thread's cumulative usage before this run (resume); null for a fresh thread.</param>
    public CodexStreamReader(string? model, PriceTable? prices = null, CodexBaseline? baseline = null)
    {
        _model = model;
        _prices = prices ?? PriceTable.Default;
        _baseline = baseline;
    }

    /// <summary>The thread id, as soon as <c>thread.started</c> has told it.</summary>
    public string? ThreadId => _threadId;

    protected override void Parse(System.Text.Json.JsonElement root, List<AgentEvent> events)
    {
        CodexStreamParser.Parse(root, events);
        foreach (var e in events)
        {
            switch (e)
            {
                case ThreadStarted t:
                    _threadId ??= t.ThreadId;
                    break;
                case TurnStarted:
                    _turns++;
                    break;
                case TurnCompleted c:
                    // Cumulative: the latest snapshot replaces the previous one, so duplicates cannot double-count.
                    _cumulative = c.CumulativeUsage ?? _cumulative;
                    _completed = true;
                    break;
                case UsageUpdated u:
                    _cumulative = u.CumulativeUsage;
                    break;
                case TurnFailed f:
                    _turnFailed ??= f.Message;
                    break;
                case StreamError s:
                    _streamError ??= s.Message;
                    break;
            }
        }
    }

    /// <summary>Tells the reader the process ended with <paramref name="exitCode"/> (non-zero fails the run).</summary>
    public void Complete(int exitCode) => _exitCode = exitCode;

    public override AgentStreamSummary Summary => Summarize();

    private AgentStreamSummary Summarize()
    {
        var notes = new List<string>();
        var (failure, errorText) = Outcome();

        CodexUsage? run = null;
        if (_cumulative is { } total)
        {
            run = ResumedRun.Codex(total, _baseline, _threadId, out var note);
            if (note is not null)
                notes.Add(note);
        }

        decimal? cost = null;
        if (run is null)
        {
            notes.Add("no usage reported: cost unknown");
        }
        else if (_model is null)
        {
            notes.Add("model unknown: cost not computed");
        }
        else if (_prices.Find(_model) is { } price)
        {
            cost = price.Cost(run);
        }
        else
        {
            notes.Add($"no price for model '{_model}' in the price table: cost not computed");
        }

        var resultKind = _turnFailed is not null ? "failed" : _completed ? "completed" : null;
        return new AgentStreamSummary(
            _threadId,
            cost,
            _turns > 0 ? _turns : null,
            resultKind,
            failure != StreamFailure.None,
            errorText,
            MalformedLines,
            run?.UncachedInputTokens,
            run?.OutputTokens)
        {
            Failure = failure,
            Model = _model,
            CachedInputTokens = run?.CachedInputTokens,
            CumulativeUsage = _cumulative,
            Notes = notes,
        };
    }

    private (StreamFailure, string?) Outcome()
    {
        if (_turnFailed is not null)
            return (StreamFailure.TurnFailed, _turnFailed);
        if (_streamError is not null)
            return (StreamFailure.StreamError, _streamError);
        if (_exitCode is not { } exit)
            return (StreamFailure.None, null);
        if (!_completed)
            return (StreamFailure.NoResult, string.Create(CultureInfo.InvariantCulture, $"no result: the stream ended without turn.completed (exit code {exit})"));
        return exit == 0
            ? (StreamFailure.None, null)
            : (StreamFailure.ExitCode, string.Create(CultureInfo.InvariantCulture, $"exit code {exit}"));
    }
}
