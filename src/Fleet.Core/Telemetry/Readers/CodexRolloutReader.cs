using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Fleet.Streams;
using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// Codex's on-disk rollout. Usage is billed by deltas of the cumulative
/// <c>total_token_usage</c>: a repeated snapshot adds nothing, and a fork or sub-agent that starts from a
/// parent's total bills its first <c>last_token_usage</c>, not the inherited total. A fork or sub-agent
/// (<c>forked_from_id</c>, <c>source.subagent.thread_spawn.parent_thread_id</c>) may open with a copy of its
/// parent's history: that copy records nothing and its last total is the baseline the child's own usage is
/// measured from (<see cref="CodexReplay"/>). The first <c>session_meta</c> names the rollout; a copied one does
/// not. The model is the one a <c>token_count</c> line names, else the nearest preceding <c>turn_context.model</c>.
/// </summary>
internal sealed class CodexRolloutReader(ReaderContext context) : TranscriptReader(context)
{
    /// <summary>What ccusage assumes too for early rollouts that never name a model.</summary>
    internal const string FallbackModel = "gpt-5";

    /// <summary>The tool that asks the person a question (its call is a question, its output an answer).</summary>
    private const string QuestionTool = "request_user_input";

    /// <summary>How much of a tool's output tells its outcome (<see cref="OutcomeOf"/>).</summary>
    private const int OutputHead = 2048;

    private static readonly string[] InjectedPrefixes =
        ["<environment_context>", "# AGENTS.md instructions", "<user_instructions>", "<turn_aborted>", "<permissions instructions>", "<user_shell_command>", "# Context from my IDE setup"];

    private CodexState _state = new();

    // Model-visible messages and reasoning (with its encrypted content) are most of a rollout's bytes and
    // carry nothing recorded here: prompts come from event_msg/user_message, usage from token_count.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool CanSkip(ReadOnlySpan<byte> line)
    {
        var at = line.IndexOf("\"payload\":{\"type\":\""u8);
        if (at < 0)
            return false;
        var type = line[(at + "\"payload\":{\"type\":\""u8.Length)..];
        return type.StartsWith("reasoning\""u8) || type.StartsWith("message\""u8)
            || type.StartsWith("agent_reasoning\""u8) || type.StartsWith("agent_message\""u8);
    }

    /// <summary>The payload kinds a rollout line's scan tells apart (a type named in no case below is <see cref="Other"/>).</summary>
    private enum PayloadType : byte
    {
        Other,
        TokenCount,
        TaskStarted,
        UserMessage,
        TurnAborted,
        ContextCompacted,
        Error,
        FunctionCall,
        CustomToolCall,
        LocalShellCall,
        WebSearchCall,
        FunctionCallOutput,
        CustomToolCallOutput,
    }

    private enum LineType : byte
    {
        Other,
        SessionMeta,
        TurnContext,
        EventMsg,
        ResponseItem,
    }

    /// <summary>What the scan kept of a <c>payload</c> object (all null when a later <c>payload</c> key replaces it).</summary>
    private struct ScannedPayload
    {
        public PayloadType Type;
        public string? Model;
        public string? Cwd;
        public string? InfoModel;
        public bool OddModel; // model_name or metadata: a model named in a shape left to Read
        public bool Info;
        public CodexUsage? Total;
        public CodexUsage? Last;
        public string? Message;
        public string? Name;
        public string? CallId;
        public string? Id;
        public string? Arguments;
        public string? Input;
        public bool Action;
        public bool OddOutput; // an output that is neither a string nor absent/null: left to Read
        public string? Output; // the head of a string output, as Read takes it
    }

    /// <summary>
    /// Every rollout line is read by one validating pass of a <see cref="JsonLineScanner"/> instead of a
    /// <see cref="JsonDocument"/>, field for field as <see cref="Read"/> reads it (keys unescaped, a repeated key's last
    /// value counts): <c>token_count</c> events, <c>turn_context</c> lines, tool calls and their outputs, prompts, and
    /// the kinds that record nothing. The rare kinds (session start, aborted turns, compactions, errors, shell and web
    /// calls, questions to the person and their answers, non-string outputs) go to <see cref="Read"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override LineScan ScanLine(ReadOnlySpan<byte> line, long lineNumber)
    {
        var type = LineType.Other;
        var payload = false;
        DateTimeOffset? time = null;
        ScannedPayload p = default;
        var keepText = Privacy.KeepsText;
        var reader = new JsonLineScanner(line, TranscriptFile.MaxDepth);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return LineScan.Malformed;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType != JsonTokenType.String ? LineType.Other
                        : reader.ValueTextEquals("event_msg"u8) ? LineType.EventMsg
                        : reader.ValueTextEquals("response_item"u8) ? LineType.ResponseItem
                        : reader.ValueTextEquals("turn_context"u8) ? LineType.TurnContext
                        : reader.ValueTextEquals("session_meta"u8) ? LineType.SessionMeta
                        : LineType.Other;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    time = ReadTime(ref reader);
                }
                else if (reader.ValueTextEquals("payload"u8))
                {
                    reader.Read();
                    payload = reader.TokenType == JsonTokenType.StartObject;
                    p = default;
                    if (payload)
                        ScanPayload(ref reader, ref p, keepText);
                    else
                        reader.Skip();
                }
                else
                {
                    reader.Skip(); // from the property name over its value
                }
            }

            if (reader.Read())
                return LineScan.Malformed; // a second value after the object
        }
        catch (JsonException)
        {
            return LineScan.Malformed;
        }

        if (!payload)
            return LineScan.Done;
        time ??= Context.FallbackTime;
        if (_state.Replaying)
        {
            // A child's copy of its parent's history: only what ends the copy, its totals and models matter.
            return type switch
            {
                LineType.SessionMeta or LineType.TurnContext => LineScan.NeedsDocument,
                LineType.EventMsg when p.Type is PayloadType.TaskStarted => LineScan.NeedsDocument,
                LineType.EventMsg when p.Type is PayloadType.TokenCount && (p.OddModel || !p.Info) => LineScan.NeedsDocument,
                LineType.EventMsg when p.Type is PayloadType.TokenCount => TokenCountScanned(p, lineNumber, time),
                _ => LineScan.Done,
            };
        }

        switch (type)
        {
            case LineType.TurnContext:
                if (p.Model is { Length: > 0 })
                    _state.Model = p.Model;
                if (p.Cwd is { Length: > 0 })
                    _state.Cwd = p.Cwd;
                return LineScan.Done;
            case LineType.EventMsg:
                switch (p.Type)
                {
                    case PayloadType.TokenCount:
                        if (p.OddModel)
                            return LineScan.NeedsDocument;
                        return TokenCountScanned(p, lineNumber, time);
                    case PayloadType.UserMessage:
                        AddPrompt(p.Message ?? "", lineNumber, time);
                        return LineScan.Done;
                    case PayloadType.TurnAborted or PayloadType.ContextCompacted or PayloadType.Error:
                        return LineScan.NeedsDocument;
                    default:
                        return LineScan.Done;
                }

            case LineType.ResponseItem:
                switch (p.Type)
                {
                    case PayloadType.FunctionCall or PayloadType.CustomToolCall:
                        var name = p.Name ?? "?";
                        if (name == QuestionTool || (keepText && p.Arguments is null && p.Input is null && p.Action))
                            return LineScan.NeedsDocument;
                        AddToolCall(name, p.CallId ?? p.Id, p.Arguments ?? p.Input, lineNumber, time);
                        return LineScan.Done;
                    case PayloadType.FunctionCallOutput or PayloadType.CustomToolCallOutput:
                        if (p.CallId is not { } id)
                            return LineScan.Done;
                        if (p.OddOutput)
                            return LineScan.NeedsDocument;
                        var outcome = OutcomeOf(p.Output ?? "");
                        if (IsAnswer(id, outcome))
                            return LineScan.NeedsDocument;
                        Settle(id, outcome, lineNumber, time);
                        return LineScan.Done;
                    case PayloadType.LocalShellCall or PayloadType.WebSearchCall:
                        return LineScan.NeedsDocument;
                    default:
                        return LineScan.Done;
                }

            case LineType.SessionMeta:
                return LineScan.NeedsDocument;
            default:
                return LineScan.Done;
        }
    }

    private LineScan TokenCountScanned(in ScannedPayload p, long lineNumber, DateTimeOffset? time)
    {
        if (p.Info)
            AddTokenCount(p.Total, p.Last, NonEmpty(p.Model) ?? NonEmpty(p.InfoModel), lineNumber, time);
        return LineScan.Done;
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Reads a <c>payload</c> object up to its end, keeping what any payload kind needs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScanPayload(ref JsonLineScanner reader, ref ScannedPayload p, bool keepText)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                p.Type = reader.TokenType == JsonTokenType.String ? PayloadTypeOf(ref reader) : PayloadType.Other;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                p.Model = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("cwd"u8))
            {
                p.Cwd = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("model_name"u8) || reader.ValueTextEquals("metadata"u8))
            {
                p.OddModel = true;
                reader.Skip(); // from the property name over its value
            }
            else if (reader.ValueTextEquals("info"u8))
            {
                reader.Read();
                p.Info = reader.TokenType == JsonTokenType.StartObject;
                (p.Total, p.Last, p.InfoModel) = (null, null, null);
                if (p.Info)
                    ScanInfo(ref reader, out p.Total, out p.Last, out p.InfoModel, ref p.OddModel);
                else
                    reader.Skip();
            }
            else if (reader.ValueTextEquals("call_id"u8))
            {
                p.CallId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                p.Name = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                p.Id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("output"u8))
            {
                reader.Read();
                (p.Output, p.OddOutput) = (null, false);
                if (reader.TokenType == JsonTokenType.String)
                    p.Output = HeadOfQuoted(reader.QuotedValueSpan, OutputHead) ?? reader.GetString();
                else
                    p.OddOutput = reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                p.Message = ReadString(ref reader);
            }
            else if (keepText && reader.ValueTextEquals("arguments"u8))
            {
                p.Arguments = ReadString(ref reader);
            }
            else if (keepText && reader.ValueTextEquals("input"u8))
            {
                p.Input = ReadString(ref reader);
            }
            else if (keepText && reader.ValueTextEquals("action"u8))
            {
                reader.Read();
                p.Action = reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else
            {
                reader.Skip(); // from the property name over its value
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PayloadType PayloadTypeOf(ref JsonLineScanner reader) =>
        reader.ValueTextEquals("token_count"u8) ? PayloadType.TokenCount
        : reader.ValueTextEquals("task_started"u8) ? PayloadType.TaskStarted
        : reader.ValueTextEquals("function_call"u8) ? PayloadType.FunctionCall
        : reader.ValueTextEquals("function_call_output"u8) ? PayloadType.FunctionCallOutput
        : reader.ValueTextEquals("custom_tool_call"u8) ? PayloadType.CustomToolCall
        : reader.ValueTextEquals("custom_tool_call_output"u8) ? PayloadType.CustomToolCallOutput
        : reader.ValueTextEquals("user_message"u8) ? PayloadType.UserMessage
        : reader.ValueTextEquals("turn_aborted"u8) ? PayloadType.TurnAborted
        : reader.ValueTextEquals("context_compacted"u8) ? PayloadType.ContextCompacted
        : reader.ValueTextEquals("error"u8) ? PayloadType.Error
        : reader.ValueTextEquals("local_shell_call"u8) ? PayloadType.LocalShellCall
        : reader.ValueTextEquals("web_search_call"u8) ? PayloadType.WebSearchCall
        : PayloadType.Other;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScanInfo(ref JsonLineScanner reader, out CodexUsage? total, out CodexUsage? last, out string? model, ref bool oddModel)
    {
        (total, last, model) = (null, null, null);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                model = ReadString(ref reader);
                continue;
            }

            if (reader.ValueTextEquals("model_name"u8) || reader.ValueTextEquals("metadata"u8))
                oddModel = true;
            var isTotal = reader.ValueTextEquals("total_token_usage"u8);
            var isLast = !isTotal && reader.ValueTextEquals("last_token_usage"u8);
            reader.Read();
            if (!isTotal && !isLast)
            {
                reader.Skip();
                continue;
            }

            CodexUsage? usage = null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                long? input = null, cached = null, cacheWrite = null, output = null, reasoning = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("input_tokens"u8))
                        input = ReadLong(ref reader);
                    else if (reader.ValueTextEquals("cached_input_tokens"u8))
                        cached = ReadLong(ref reader);
                    else if (reader.ValueTextEquals("cache_write_input_tokens"u8))
                        cacheWrite = ReadLong(ref reader);
                    else if (reader.ValueTextEquals("output_tokens"u8))
                        output = ReadLong(ref reader);
                    else if (reader.ValueTextEquals("reasoning_output_tokens"u8))
                        reasoning = ReadLong(ref reader);
                    else
                    {
                        reader.Skip(); // from the property name over its value
                    }
                }

                usage = new CodexUsage(input ?? 0, cached ?? 0, cacheWrite ?? 0, output ?? 0, reasoning ?? 0);
            }
            else
            {
                reader.Skip();
            }

            if (isTotal)
                total = usage;
            else
                last = usage;
        }
    }

    public override string? SaveState() => JsonSerializer.Serialize(_state, ReaderStateJsonContext.Default.CodexState);

    public override void LoadState(string state) =>
        _state = JsonSerializer.Deserialize(state, ReaderStateJsonContext.Default.CodexState) ?? new CodexState();

    public override void Read(JsonElement root, long line)
    {
        if (root.Prop("payload") is not { ValueKind: JsonValueKind.Object } payload)
            return;
        var time = Time(root) ?? Context.FallbackTime;
        var type = root.Str("type");
        if (type == "session_meta")
        {
            ReadSessionMeta(payload, line, time);
            return;
        }

        if (type == "turn_context")
        {
            if (payload.Str("model") is { Length: > 0 } model)
                _state.Model = model;
            if (payload.Str("cwd") is { Length: > 0 } cwd && !_state.Replaying)
                _state.Cwd = cwd;
            if (_state.Replaying)
                EndCopyAt(null, payload.Str("turn_id"));
            return;
        }

        if (_state.Replaying)
        {
            if (type != "event_msg")
                return;
            switch (payload.Str("type"))
            {
                case "task_started":
                    EndCopyAt(payload.Prop("started_at") is { ValueKind: JsonValueKind.Number } at && at.TryGetInt64(out var started) ? started : null, payload.Str("turn_id"));
                    return;
                case "token_count":
                    ReadTokenCount(payload, line, time);
                    return;
                default:
                    return;
            }
        }

        switch (type)
        {
            case "event_msg":
                ReadEvent(payload, line, time);
                break;
            case "response_item":
                ReadItem(payload, line, time);
                break;
        }
    }

    /// <summary>Ends a child's copy of its parent's history at the first turn that started after the child was created.</summary>
    private void EndCopyAt(long? startedAtSeconds, string? turnId)
    {
        switch (CodexReplay.TurnStart(_state.CreatedAtMs, startedAtSeconds, turnId))
        {
            case CodexReplay.Turn.Own:
                _state.Replaying = false;
                break;
            case CodexReplay.Turn.Copied:
                _state.SawTurnMarker = true;
                break;
        }
    }

    /// <summary>
    /// The first <c>session_meta</c> names the rollout (and says whether it is a fork or a sub-agent, whose copy of
    /// the parent's history comes next); a later one is the parent's, copied with its history, and names nothing.
    /// </summary>
    private void ReadSessionMeta(JsonElement payload, long line, DateTimeOffset? time)
    {
        if (_state.SessionId is not null)
            return;
        _state.SessionId = payload.Str("id");
        var spawn = payload.Prop("source")?.Prop("subagent")?.Prop("thread_spawn");
        _state.AgentId = spawn?.Str("agent_nickname");
        if (payload.Str("model") is { } metaModel)
            _state.Model = metaModel;
        _state.Cwd = payload.Str("cwd");
        var parent = payload.Str("forked_from_id") ?? spawn?.Str("parent_thread_id");
        if (!string.IsNullOrEmpty(parent))
        {
            var created = (DateTimeOffset.TryParse(payload.Str("timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : time)
                ?? CodexReplay.TimeOf(_state.SessionId);
            _state.CreatedAtMs = created?.ToUnixTimeMilliseconds();
            _state.Replaying = _state.CreatedAtMs is not null; // a child that does not say when it began cannot be told apart: all of it is billed
        }

        Sink.Add(Stamp(new SessionRecord
        {
            Provider = AgentProvider.Codex,
            Source = Context.At(line),
            Project = _state.Cwd ?? Context.Project,
            Version = payload.Str("cli_version"),
            Entrypoint = payload.Str("originator"),
            GitBranch = payload.Prop("git")?.Str("branch"),
        }, time));
    }

    private TelemetryRecord Stamp(TelemetryRecord record, DateTimeOffset? time) => record with
    {
        SessionId = _state.SessionId,
        AgentId = _state.AgentId,
        Timestamp = time,
        Tags = Context.Tags,
        Folder = _state.Cwd ?? Context.Project,
    };

    private void ReadEvent(JsonElement payload, long line, DateTimeOffset? time)
    {
        switch (payload.Str("type"))
        {
            case "token_count":
                ReadTokenCount(payload, line, time);
                break;
            case "user_message":
                AddPrompt(payload.Str("message") ?? "", line, time);
                break;
            case "turn_aborted":
                Sink.Add(Stamp(new InterruptRecord
                {
                    Provider = AgentProvider.Codex,
                    Source = Context.At(line),
                    Reason = payload.Str("reason") ?? "interrupted",
                }, time));
                break;
            case "context_compacted":
                Sink.Add(Stamp(new CompactionRecord { Provider = AgentProvider.Codex, Source = Context.At(line) }, time));
                break;
            case "error":
                Sink.Add(Stamp(new ApiErrorRecord
                {
                    Provider = AgentProvider.Codex,
                    Source = Context.At(line),
                    Message = payload.Str("message"),
                    ErrorKind = payload.Str("codex_error_info") ?? payload.Prop("codex_error_info")?.ToString(),
                }, time));
                break;
        }
    }

    private void AddPrompt(string message, long line, DateTimeOffset? time)
    {
        var trimmed = message.TrimStart();
        if (trimmed.Length == 0 || InjectedPrefixes.Any(p => trimmed.StartsWith(p, StringComparison.Ordinal)))
            return;
        Sink.Add(Stamp(new HumanPromptRecord
        {
            Provider = AgentProvider.Codex,
            Source = Context.At(line),
            Length = message.Length,
            Command = trimmed.StartsWith('/') ? trimmed.Split(' ', 2)[0] : null,
            Text = Privacy.Text(message),
        }, time));
    }

    private void ReadTokenCount(JsonElement payload, long line, DateTimeOffset? time)
    {
        if (payload.Prop("info") is not { ValueKind: JsonValueKind.Object } info)
            return;
        var total = info.Prop("total_token_usage") is { ValueKind: JsonValueKind.Object } t ? CodexStreamParser.UsageOf(t) : null;
        var last = info.Prop("last_token_usage") is { ValueKind: JsonValueKind.Object } l ? CodexStreamParser.UsageOf(l) : null;
        AddTokenCount(total, last, ModelNamedBy(payload) ?? ModelNamedBy(info), line, time);
    }

    /// <summary>The model a <c>token_count</c> payload or its <c>info</c> names itself (<c>model</c>, <c>model_name</c>, <c>metadata.model</c>).</summary>
    private static string? ModelNamedBy(JsonElement element) =>
        NonEmpty(element.Str("model")) ?? NonEmpty(element.Str("model_name")) ?? NonEmpty(element.Prop("metadata")?.Str("model"));

    /// <summary>
    /// Bills one <c>token_count</c> event: the delta of its cumulative total, else its last response. Within a
    /// child's copy of its parent's history nothing is billed: the copy's totals only become the baseline.
    /// </summary>
    private void AddTokenCount(CodexUsage? total, CodexUsage? last, string? lineModel, long line, DateTimeOffset? time)
    {
        if (_state.Replaying)
        {
            if (CodexReplay.IsCopied(_state.CreatedAtMs, _state.LastCopiedMs, time?.ToUnixTimeMilliseconds(), _state.SawTurnMarker))
            {
                _state.LastCopiedMs = time?.ToUnixTimeMilliseconds() ?? _state.LastCopiedMs;
                if (total is not null)
                    _state.Total = total;
                return;
            }

            _state.Replaying = false;
        }

        var previous = _state.Total;

        CodexUsage? delta;
        if (total is null)
            delta = last;
        else if (previous is not null && total.Covers(previous))
            delta = total.Minus(previous);
        else
            delta = last ?? total; // the first snapshot, or a reset: bill this response, never an inherited total
        if (total is not null)
            _state.Total = total;

        if (delta is null || (delta.InputTokens == 0 && delta.CachedInputTokens == 0 && delta.OutputTokens == 0 && delta.ReasoningOutputTokens == 0))
            return;

        var cached = Math.Min(delta.CachedInputTokens, delta.InputTokens);
        var model = lineModel ?? _state.Model;
        Sink.Add(Stamp(new ModelCallRecord
        {
            Provider = AgentProvider.Codex,
            Source = Context.At(line),
            Model = model ?? FallbackModel,
            ModelAssumed = model is null,
            MessageId = total is null || _state.SessionId is null ? null : CodexReplay.UsageKey(_state.SessionId, total),
            InputTokens = delta.InputTokens - cached,
            CacheReadTokens = cached,
            OutputTokens = delta.OutputTokens,
            ReasoningOutputTokens = delta.ReasoningOutputTokens,
        }, time));
    }

    private void ReadItem(JsonElement payload, long line, DateTimeOffset? time)
    {
        var type = payload.Str("type");
        switch (type)
        {
            case "function_call" or "custom_tool_call" or "local_shell_call":
                AddToolCall(
                    payload.Str("name") ?? (type == "local_shell_call" ? "local_shell" : "?"),
                    payload.Str("call_id") ?? payload.Str("id"),
                    payload.Str("arguments") ?? payload.Str("input") ?? payload.Prop("action")?.GetRawText(),
                    line,
                    time);
                break;
            case "web_search_call":
                Sink.Add(Stamp(new ToolCallRecord
                {
                    Provider = AgentProvider.Codex,
                    Source = Context.At(line),
                    Name = "web_search",
                    Outcome = ToolOutcome.Ok,
                    Input = Privacy.KeepsText ? Privacy.Text(payload.Prop("action")?.GetRawText()) : null,
                }, time));
                break;
            case "function_call_output" or "custom_tool_call_output":
                if (payload.Str("call_id") is not { } id)
                    return;
                var output = payload.Prop("output") switch
                {
                    { ValueKind: JsonValueKind.String } s => HeadOfContent(s, OutputHead),
                    { } o => o.GetRawText(),
                    _ => "",
                };
                var outcome = OutcomeOf(output);
                if (IsAnswer(id, outcome))
                {
                    Sink.Add(Stamp(new AnswerRecord
                    {
                        Provider = AgentProvider.Codex,
                        Source = Context.At(line),
                        ToolUseId = id,
                        Answers = 1,
                        Text = Privacy.KeepsText ? Privacy.Text(payload.Str("output") ?? output) : null,
                    }, time));
                }

                Settle(id, outcome, line, time);
                break;
        }
    }

    private void AddToolCall(string name, string? callId, string? input, long line, DateTimeOffset? time)
    {
        Sink.Add(Stamp(new ToolCallRecord
        {
            Provider = AgentProvider.Codex,
            Source = Context.At(line),
            Name = name,
            ToolUseId = callId,
            Outcome = ToolOutcome.Pending,
            Input = Privacy.KeepsText ? Privacy.Text(input) : null,
        }, time));
        if (name == QuestionTool)
        {
            Sink.Add(Stamp(new QuestionRecord
            {
                Provider = AgentProvider.Codex,
                Source = Context.At(line),
                Tool = name,
                ToolUseId = callId,
                Questions = CountQuestions(input),
                Text = Privacy.Text(input),
            }, time));
        }
    }

    /// <summary>True when a tool output answers a question to the person (an <see cref="AnswerRecord"/>).</summary>
    private bool IsAnswer(string callId, ToolOutcome outcome) => outcome == ToolOutcome.Ok && Sink.NameOf(callId) == QuestionTool;

    /// <summary>Records a rejected call, and settles the call's outcome.</summary>
    private void Settle(string callId, ToolOutcome outcome, long line, DateTimeOffset? time)
    {
        if (outcome == ToolOutcome.Rejected)
        {
            Sink.Add(Stamp(new RejectionRecord
            {
                Provider = AgentProvider.Codex,
                Source = Context.At(line),
                Subject = GateSubject.Tool,
                ToolUseId = callId,
                ToolName = Sink.NameOf(callId),
            }, time));
        }

        Sink.Resolve(callId, outcome);
    }

    // String.Contains(…, OrdinalIgnoreCase) upper-cases char by char under invariant globalization (as fleet runs), a
    // large share of an ingest's CPU; SearchValues matches the same way (ordinal, ignoring case), vectorised.
    private static readonly SearchValues<string> RejectionPhrases = SearchValues.Create(["rejected by user", "user declined"], StringComparison.OrdinalIgnoreCase);

    internal static ToolOutcome OutcomeOf(string output)
    {
        if (output.AsSpan().ContainsAny(RejectionPhrases))
            return ToolOutcome.Rejected;
        if (output.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(output);
                var exit = doc.RootElement.Prop("metadata")?.Int("exit_code") ?? doc.RootElement.Int("exit_code");
                return exit is null or 0 ? ToolOutcome.Ok : ToolOutcome.Error;
            }
            catch (JsonException)
            {
                return ToolOutcome.Ok;
            }
        }

        // Where the exit code's digits start: after either marker (an output that begins with "Exit code: " was read as
        // having none when the digits' offset was computed from the other marker's length).
        const string ExitMarker = "Process exited with code ";
        const string Other = "Exit code: ";
        var at = output.IndexOf(ExitMarker, StringComparison.Ordinal);
        if (at >= 0)
            at += ExitMarker.Length;
        else if ((at = output.IndexOf(Other, StringComparison.Ordinal)) >= 0)
            at += Other.Length;

        if (at >= 0)
        {
            var digits = output.AsSpan(at);
            var n = 0;
            while (n < digits.Length && char.IsAsciiDigit(digits[n]))
                n++;
            if (n > 0 && int.TryParse(digits[..n], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                return code == 0 ? ToolOutcome.Ok : ToolOutcome.Error;
        }

        return output.StartsWith("error", StringComparison.OrdinalIgnoreCase) ? ToolOutcome.Error : ToolOutcome.Ok;
    }

    private static int CountQuestions(string? arguments)
    {
        if (arguments is null || !arguments.StartsWith('{'))
            return 1;
        try
        {
            using var doc = JsonDocument.Parse(arguments);
            return Math.Max(1, doc.RootElement.Array("questions").Count());
        }
        catch (JsonException)
        {
            return 1;
        }
    }
}

/// <summary>What a Codex reader carries from one incremental pass to the next.</summary>
internal sealed class CodexState
{
    public string? SessionId { get; set; }

    /// <summary>The session's working folder (<c>session_meta.cwd</c>, then each own turn's): the project its records belong to.</summary>
    public string? Cwd { get; set; }

    /// <summary>A fork or sub-agent: when it was created (Unix ms), the start of its own history.</summary>
    public long? CreatedAtMs { get; set; }

    /// <summary>True while the lines read are the parent's history the child copied.</summary>
    public bool Replaying { get; set; }

    /// <summary>The copy holds turn starts that carry their own time (so its end is told by them, not by a pause).</summary>
    public bool SawTurnMarker { get; set; }

    /// <summary>The time of the copy's last usage event (Unix ms).</summary>
    public long? LastCopiedMs { get; set; }

    public string? AgentId { get; set; }

    public string? Model { get; set; }

    public CodexUsage? Total { get; set; }
}
