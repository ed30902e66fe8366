using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Streams;
using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// A fleet worker's <c>claude -p --output-format stream-json</c> log, through the existing stream parser.
/// Per-block usage in the stream is partial, so model calls come from the final <c>result.modelUsage</c>
/// (every model, subagents and compaction included) with Claude's own <c>costUSD</c>; a multi-turn stream's
/// later results carry running totals, so only the growth since the previous result is recorded.
/// </summary>
internal sealed class ClaudeStreamTranscriptReader(ReaderContext context) : TranscriptReader(context)
{
    private readonly List<AgentEvent> _events = [];
    private ClaudeStreamState _state = new();

    public override string? SaveState() => JsonSerializer.Serialize(_state, ReaderStateJsonContext.Default.ClaudeStreamState);

    public override void LoadState(string state) =>
        _state = JsonSerializer.Deserialize(state, ReaderStateJsonContext.Default.ClaudeStreamState) ?? new ClaudeStreamState();

    public override void Read(JsonElement root, long line)
    {
        _events.Clear();
        ClaudeStreamParser.Parse(root, _events);
        var time = Time(root) ?? Context.FallbackTime;
        var sidechain = root.Str("parent_tool_use_id") is not null;
        foreach (var e in _events)
        {
            switch (e)
            {
                case SessionStarted s:
                    _state.SessionId = s.SessionId;
                    _state.Model = s.Model;
                    Add(new SessionRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Project = Context.Project, Version = s.Version, Entrypoint = "stream-json" }, time, false);
                    break;
                case ToolCall call:
                    Add(new ToolCallRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Name = call.Name, ToolUseId = call.Id, Outcome = ToolOutcome.Pending, Input = Privacy.Text(call.InputSummary) }, time, sidechain);
                    if (call.Name == "AskUserQuestion")
                        Add(new QuestionRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Tool = call.Name, ToolUseId = call.Id, Questions = 1, Text = Privacy.Text(call.InputSummary) }, time, sidechain);
                    break;
                case ToolResult result:
                    var outcome = result.Summary.Contains("doesn't want to proceed with this tool use", StringComparison.Ordinal) ? ToolOutcome.Rejected
                        : result.Summary.Contains("haven't granted it yet", StringComparison.Ordinal) ? ToolOutcome.Denied
                        : result.IsError ? ToolOutcome.Error : ToolOutcome.Ok;
                    if (outcome == ToolOutcome.Rejected)
                        Add(new RejectionRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Subject = Sink.NameOf(result.ToolUseId) == "ExitPlanMode" ? GateSubject.Plan : GateSubject.Tool, ToolUseId = result.ToolUseId, ToolName = Sink.NameOf(result.ToolUseId) }, time, sidechain);
                    else if (outcome == ToolOutcome.Ok && result.Summary.StartsWith("User has approved", StringComparison.Ordinal))
                        Add(new ApprovalRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Subject = GateSubject.Plan, ToolUseId = result.ToolUseId, ToolName = Sink.NameOf(result.ToolUseId) }, time, sidechain);
                    else if (outcome == ToolOutcome.Ok && result.Summary.StartsWith("User has answered your question", StringComparison.Ordinal))
                        Add(new AnswerRecord { Provider = AgentProvider.Claude, Source = Context.At(line), ToolUseId = result.ToolUseId, Answers = 1, Text = Privacy.Text(result.Summary) }, time, sidechain);
                    Sink.Resolve(result.ToolUseId, outcome);
                    break;
                case ApiError error:
                    Add(new ApiErrorRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Status = error.Status, ErrorKind = error.Kind, Message = error.Message }, time, sidechain);
                    break;
                case CompactBoundary compact:
                    Add(new CompactionRecord { Provider = AgentProvider.Claude, Source = Context.At(line), Trigger = compact.Trigger, PreTokens = compact.PreTokens }, time, false);
                    break;
                case ClaudeResult final:
                    ReadResult(final, line, time);
                    break;
            }
        }
    }

    private void Add(TelemetryRecord record, DateTimeOffset? time, bool sidechain) =>
        Sink.Add(record with { SessionId = _state.SessionId, Timestamp = time, Sidechain = sidechain, Tags = Context.Tags, Folder = Context.Project });

    private void ReadResult(ClaudeResult result, long line, DateTimeOffset? time)
    {
        _state.SessionId ??= result.SessionId;
        foreach (var denial in result.PermissionDenials)
            Add(new PermissionDeniedRecord { Provider = AgentProvider.Claude, Source = Context.At(line), ToolName = denial.ToolName, ToolUseId = denial.ToolUseId }, time, false);

        if (ResumedRun.IsResumed(Context.ClaudeBaseline, result.SessionId ?? _state.SessionId) && result.Usage is { } runUsage)
        {
            ReadResumedResult(result, runUsage, line, time);
            return;
        }

        // Older CLIs (2.1.7) give no modelUsage: the whole run is the init model's, at total_cost_usd.
        var models = result.ModelUsage.Count > 0 || result.Usage is null || _state.Model is null
            ? result.ModelUsage
            : new Dictionary<string, ModelUsage>(StringComparer.Ordinal)
            {
                [_state.Model] = new(result.Usage.InputTokens, result.Usage.OutputTokens, result.Usage.CacheReadInputTokens, result.Usage.CacheCreationInputTokens, 0, result.TotalCostUsd, null, null),
            };
        foreach (var (model, usage) in models)
        {
            var before = _state.Models.GetValueOrDefault(model) ?? new ModelTotals();
            var now = new ModelTotals
            {
                Input = usage.InputTokens,
                Output = usage.OutputTokens,
                CacheWrite = usage.CacheCreationInputTokens,
                CacheRead = usage.CacheReadInputTokens,
                Cost = usage.CostUsd ?? 0m,
            };

            // A running total that did not grow is a repeat; one that shrank is a new session in the same log.
            var grew = now.Input >= before.Input && now.Output >= before.Output && now.CacheWrite >= before.CacheWrite && now.CacheRead >= before.CacheRead;
            var delta = grew ? now.Minus(before) : now;
            _state.Models[model] = now;
            if (delta.Input + delta.Output + delta.CacheWrite + delta.CacheRead == 0)
                continue;
            Add(new ModelCallRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                Model = model,
                InputTokens = delta.Input,
                OutputTokens = delta.Output,
                CacheWrite5mTokens = delta.CacheWrite,
                CacheReadTokens = delta.CacheRead,
                CostUsd = usage.CostUsd is null ? null : delta.Cost,
            }, time, false);
        }
    }

    /// <summary>
    /// A result of a resumed session (claude 2.1.332 folds the session's earlier runs into <c>total_cost_usd</c> and
    /// <c>modelUsage</c>): billed as the exit record bills it, the cost by <see cref="ResumedRun.ClaudeCost"/> from the
    /// baseline (or this log's previous result), the tokens this run's own <c>usage</c>, under the run's model.
    /// </summary>
    private void ReadResumedResult(ClaudeResult result, ClaudeUsage usage, long line, DateTimeOffset? time)
    {
        var before = _state.Run ?? new ModelTotals { Cost = Context.ClaudeBaseline!.CumulativeCostUsd };
        var now = new ModelTotals
        {
            Input = usage.InputTokens,
            Output = usage.OutputTokens,
            CacheWrite = usage.CacheCreationInputTokens,
            CacheRead = usage.CacheReadInputTokens,
            Cost = result.TotalCostUsd ?? before.Cost,
        };
        _state.Run = now;
        var grew = now.Input >= before.Input && now.Output >= before.Output && now.CacheWrite >= before.CacheWrite && now.CacheRead >= before.CacheRead;
        var tokens = grew ? now.Minus(before) : now;
        var cost = ResumedRun.ClaudeCost(result.TotalCostUsd, before.Cost);
        if (tokens.Input + tokens.Output + tokens.CacheWrite + tokens.CacheRead == 0 && cost is null or 0m)
            return;
        Add(new ModelCallRecord
        {
            Provider = AgentProvider.Claude,
            Source = Context.At(line),
            Model = _state.Model ?? (result.ModelUsage.Count == 1 ? result.ModelUsage.Keys.First() : null),
            InputTokens = tokens.Input,
            OutputTokens = tokens.Output,
            CacheWrite5mTokens = tokens.CacheWrite,
            CacheReadTokens = tokens.CacheRead,
            CostUsd = cost,
        }, time, false);
    }
}

/// <summary>
/// A fleet worker's <c>codex exec --json</c> or <c>codex app-server</c> log, through the existing stream parser.
/// <c>turn.completed.usage</c> (app-server: each <c>thread/tokenUsage/updated</c>) is the thread's cumulative total,
/// so each snapshot is billed by its growth; the model is the one the worker
/// ran with (the stream never names it).
/// </summary>
internal sealed class CodexExecTranscriptReader(ReaderContext context) : TranscriptReader(context)
{
    private readonly List<AgentEvent> _events = [];
    private CodexState _state = new();

    public override string? SaveState() => JsonSerializer.Serialize(_state, ReaderStateJsonContext.Default.CodexState);

    public override void LoadState(string state) =>
        _state = JsonSerializer.Deserialize(state, ReaderStateJsonContext.Default.CodexState) ?? new CodexState();

    public override void Read(JsonElement root, long line)
    {
        _events.Clear();
        var time = Context.FallbackTime;
        if (root.Str("type") == "request_user_input")
        {
            Add(new QuestionRecord { Provider = AgentProvider.Codex, Source = Context.At(line), Tool = "request_user_input", ToolUseId = root.Str("call_id"), Questions = Math.Max(1, root.Array("questions").Count()), Text = Privacy.Text(root.Prop("questions")?.GetRawText()) }, time);
            return;
        }

        CodexStreamParser.Parse(root, _events);
        foreach (var e in _events)
        {
            switch (e)
            {
                case ThreadStarted started:
                    if (_state.SessionId == started.ThreadId)
                        break; // exec resume re-announces the same thread
                    _state.SessionId = started.ThreadId;
                    Add(new SessionRecord { Provider = AgentProvider.Codex, Source = Context.At(line), Project = Context.Project, Entrypoint = "codex_exec" }, time);
                    break;
                case TurnCompleted { CumulativeUsage: { } total }:
                    Bill(total, line, time);
                    break;
                case UsageUpdated usage:
                    Bill(usage.CumulativeUsage, line, time);
                    break;
                case TurnFailed failed:
                    Add(new ApiErrorRecord { Provider = AgentProvider.Codex, Source = Context.At(line), ErrorKind = "turn_failed", Message = failed.Message }, time);
                    break;
                case StreamError error:
                    Add(new ApiErrorRecord { Provider = AgentProvider.Codex, Source = Context.At(line), ErrorKind = "error", Message = error.Message }, time);
                    break;
                case ItemEvent { Phase: ItemPhase.Completed, Item: var item }:
                    ReadItem(item, line, time);
                    break;
            }
        }
    }

    private void Add(TelemetryRecord record, DateTimeOffset? time) =>
        Sink.Add(record with { SessionId = _state.SessionId, Timestamp = time, Tags = Context.Tags, Folder = Context.Project });

    /// <summary>Bills a cumulative snapshot by its growth since the last one.</summary>
    private void Bill(CodexUsage total, long line, DateTimeOffset? time)
    {
        // The log's first snapshot of a resumed thread is billed from the run's baseline, as its exit record is.
        var delta = _state.Total is { } previous && total.Covers(previous) ? total.Minus(previous)
            : _state.Total is null ? ResumedRun.Codex(total, Context.CodexBaseline, _state.SessionId, out _)
            : total;
        _state.Total = total;
        if (delta.InputTokens + delta.OutputTokens == 0)
            return;
        var cached = Math.Min(delta.CachedInputTokens, delta.InputTokens);
        Add(new ModelCallRecord
        {
            Provider = AgentProvider.Codex,
            Source = Context.At(line),
            Model = Context.Model ?? CodexRolloutReader.FallbackModel,
            ModelAssumed = Context.Model is null,
            MessageId = _state.SessionId is null ? null : CodexReplay.UsageKey(_state.SessionId, total),
            InputTokens = delta.InputTokens - cached,
            CacheReadTokens = cached,
            OutputTokens = delta.OutputTokens,
            ReasoningOutputTokens = delta.ReasoningOutputTokens,
        }, time);
    }

    private void ReadItem(CodexItem item, long line, DateTimeOffset? time)
    {
        var (name, outcome, input) = item switch
        {
            CommandExecutionItem c => ("shell", c.Status switch
            {
                "declined" => ToolOutcome.Rejected,
                "failed" => ToolOutcome.Error,
                _ => c.ExitCode is null or 0 ? ToolOutcome.Ok : ToolOutcome.Error,
            }, c.Command),
            FileChangeItem f => ("apply_patch", f.Status == "failed" ? ToolOutcome.Error : f.Status == "declined" ? ToolOutcome.Rejected : ToolOutcome.Ok, string.Join('\n', f.Changes.Select(x => $"{x.Kind} {x.Path}"))),
            McpToolCallItem m => ($"mcp__{m.Server}__{m.Tool}", m.Error is null && m.Status != "failed" ? ToolOutcome.Ok : ToolOutcome.Error, null),
            WebSearchItem w => ("web_search", ToolOutcome.Ok, w.Query),
            _ => ((string?)null, ToolOutcome.Ok, (string?)null),
        };
        if (name is null)
            return;
        Add(new ToolCallRecord { Provider = AgentProvider.Codex, Source = Context.At(line), Name = name, ToolUseId = item.Id, Outcome = outcome, Input = Privacy.Text(input) }, time);
        if (outcome == ToolOutcome.Rejected)
            Add(new RejectionRecord { Provider = AgentProvider.Codex, Source = Context.At(line), Subject = GateSubject.Tool, ToolUseId = item.Id, ToolName = name }, time);
    }
}

/// <summary>Per-model running totals of a Claude stream's results.</summary>
internal sealed class ClaudeStreamState
{
    public string? SessionId { get; set; }

    public string? Model { get; set; }

    public Dictionary<string, ModelTotals> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A resumed session: this log's last result (its run's usage and the session's cumulative cost).</summary>
    public ModelTotals? Run { get; set; }
}

internal sealed class ModelTotals
{
    public long Input { get; set; }

    public long Output { get; set; }

    public long CacheWrite { get; set; }

    public long CacheRead { get; set; }

    public decimal Cost { get; set; }

    public ModelTotals Minus(ModelTotals other) => new()
    {
        Input = Input - other.Input,
        Output = Output - other.Output,
        CacheWrite = CacheWrite - other.CacheWrite,
        CacheRead = CacheRead - other.CacheRead,
        Cost = Cost - other.Cost,
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CodexState))]
[JsonSerializable(typeof(ClaudeStreamState))]
[JsonSerializable(typeof(GeminiSessionState))]
internal sealed partial class ReaderStateJsonContext : JsonSerializerContext;
