using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Fleet.Streams;
using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// Codex's on-disk rollout (agent-clis.md §3.2, §4.2, §5.2). Usage is billed by deltas of the cumulative
/// <c>total_token_usage</c>: a repeated snapshot adds nothing, and a fork or sub-agent that starts from a
/// parent's total bills its first <c>last_token_usage</c>, not the inherited total. The model is the
/// nearest preceding <c>turn_context.model</c>.
/// </summary>
internal sealed class CodexRolloutReader(ReaderContext context) : TranscriptReader(context)
{
    /// <summary>What ccusage assumes too for early rollouts that never name a model.</summary>
    internal const string FallbackModel = "gpt-5";

    private static readonly string[] InjectedPrefixes =
        ["<environment_context>", "# AGENTS.md instructions", "<user_instructions>", "<turn_aborted>", "<permissions instructions>", "<user_shell_command>", "# Context from my IDE setup"];

    private CodexState _state = new();

    // Model-visible messages and reasoning (with its encrypted content) are most of a rollout's bytes and
    // carry nothing recorded here: prompts come from event_msg/user_message, usage from token_count.
    public override bool CanSkip(ReadOnlySpan<byte> line)
    {
        var at = line.IndexOf("\"payload\":{\"type\":\""u8);
        if (at < 0)
            return false;
        var type = line[(at + "\"payload\":{\"type\":\""u8.Length)..];
        return type.StartsWith("reasoning\""u8) || type.StartsWith("message\""u8)
            || type.StartsWith("agent_reasoning\""u8) || type.StartsWith("agent_message\""u8);
    }

    /// <summary>
    /// <c>token_count</c> events and <c>turn_context</c> lines (a tenth of a rollout's bytes, and most of the lines
    /// that are not skipped) read by one validating pass of a <see cref="JsonLineScanner"/> instead of a
    /// <see cref="JsonDocument"/>, field for field as <see cref="Read"/> reads them (keys unescaped, a repeated
    /// key's last value counts). Every other line goes to <see cref="Read"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override LineScan ScanLine(ReadOnlySpan<byte> line, long lineNumber)
    {
        // Both kinds are named in the line's first bytes; a line that names them later is parsed instead.
        var head = line[..Math.Min(line.Length, 256)];
        if (head.IndexOf("\"type\":\"token_count\""u8) < 0 && head.IndexOf("\"type\":\"turn_context\""u8) < 0)
            return LineScan.NeedsDocument;

        bool turnContext = false, eventMsg = false, payload = false, tokenCount = false, info = false;
        string? timestamp = null, model = null;
        CodexUsage? total = null, last = null;
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
                    turnContext = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("turn_context"u8);
                    eventMsg = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("event_msg"u8);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    timestamp = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("payload"u8))
                {
                    reader.Read();
                    payload = reader.TokenType == JsonTokenType.StartObject;
                    (tokenCount, info, model, total, last) = (false, false, null, null, null);
                    if (!payload)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("type"u8))
                        {
                            reader.Read();
                            tokenCount = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("token_count"u8);
                            reader.Skip();
                        }
                        else if (reader.ValueTextEquals("model"u8))
                        {
                            model = ReadString(ref reader);
                        }
                        else if (reader.ValueTextEquals("info"u8))
                        {
                            reader.Read();
                            info = reader.TokenType == JsonTokenType.StartObject;
                            (total, last) = (null, null);
                            if (info)
                                ScanInfo(ref reader, out total, out last);
                            else
                                reader.Skip();
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
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
        if (turnContext)
        {
            if (model is { Length: > 0 })
                _state.Model = model;
            return LineScan.Done;
        }

        if (!eventMsg || !tokenCount)
            return LineScan.NeedsDocument;
        if (info)
            AddTokenCount(total, last, lineNumber, ParseTime(timestamp) ?? Context.FallbackTime);
        return LineScan.Done;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScanInfo(ref JsonLineScanner reader, out CodexUsage? total, out CodexUsage? last)
    {
        (total, last) = (null, null);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
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
                        reader.Read();
                        reader.Skip();
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
        switch (root.Str("type"))
        {
            case "session_meta":
                _state.SessionId = payload.Str("id") ?? _state.SessionId;
                var source = payload.Prop("source");
                _state.AgentId = source?.Prop("subagent")?.Prop("thread_spawn")?.Str("agent_nickname");
                if (payload.Str("model") is { } metaModel)
                    _state.Model = metaModel;
                Sink.Add(Stamp(new SessionRecord
                {
                    Provider = AgentProvider.Codex,
                    Source = Context.At(line),
                    Project = payload.Str("cwd") ?? Context.Project,
                    Version = payload.Str("cli_version"),
                    Entrypoint = payload.Str("originator"),
                    GitBranch = payload.Prop("git")?.Str("branch"),
                }, time));
                break;
            case "turn_context":
                if (payload.Str("model") is { Length: > 0 } model)
                    _state.Model = model;
                break;
            case "event_msg":
                ReadEvent(payload, line, time);
                break;
            case "response_item":
                ReadItem(payload, line, time);
                break;
        }
    }

    private TelemetryRecord Stamp(TelemetryRecord record, DateTimeOffset? time) => record with
    {
        SessionId = _state.SessionId,
        AgentId = _state.AgentId,
        Timestamp = time,
        Tags = Context.Tags,
    };

    private void ReadEvent(JsonElement payload, long line, DateTimeOffset? time)
    {
        switch (payload.Str("type"))
        {
            case "token_count":
                ReadTokenCount(payload, line, time);
                break;
            case "user_message":
                var message = payload.Str("message") ?? "";
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

    private void ReadTokenCount(JsonElement payload, long line, DateTimeOffset? time)
    {
        if (payload.Prop("info") is not { ValueKind: JsonValueKind.Object } info)
            return;
        var total = info.Prop("total_token_usage") is { ValueKind: JsonValueKind.Object } t ? CodexStreamParser.UsageOf(t) : null;
        var last = info.Prop("last_token_usage") is { ValueKind: JsonValueKind.Object } l ? CodexStreamParser.UsageOf(l) : null;
        AddTokenCount(total, last, line, time);
    }

    /// <summary>Bills one <c>token_count</c> event: the delta of its cumulative total, else its last response.</summary>
    private void AddTokenCount(CodexUsage? total, CodexUsage? last, long line, DateTimeOffset? time)
    {
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
        Sink.Add(Stamp(new ModelCallRecord
        {
            Provider = AgentProvider.Codex,
            Source = Context.At(line),
            Model = _state.Model ?? FallbackModel,
            ModelAssumed = _state.Model is null,
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
                var name = payload.Str("name") ?? (type == "local_shell_call" ? "local_shell" : "?");
                var callId = payload.Str("call_id") ?? payload.Str("id");
                var input = payload.Str("arguments") ?? payload.Str("input") ?? payload.Prop("action")?.GetRawText();
                Sink.Add(Stamp(new ToolCallRecord
                {
                    Provider = AgentProvider.Codex,
                    Source = Context.At(line),
                    Name = name,
                    ToolUseId = callId,
                    Outcome = ToolOutcome.Pending,
                    Input = Privacy.KeepsText ? Privacy.Text(input) : null,
                }, time));
                if (name == "request_user_input")
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
                    { ValueKind: JsonValueKind.String } s => HeadOfContent(s, 2048),
                    { } o => o.GetRawText(),
                    _ => "",
                };
                var outcome = OutcomeOf(output);
                if (Sink.NameOf(id) == "request_user_input" && outcome == ToolOutcome.Ok)
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
                else if (outcome == ToolOutcome.Rejected)
                {
                    Sink.Add(Stamp(new RejectionRecord
                    {
                        Provider = AgentProvider.Codex,
                        Source = Context.At(line),
                        Subject = GateSubject.Tool,
                        ToolUseId = id,
                        ToolName = Sink.NameOf(id),
                    }, time));
                }

                Sink.Resolve(id, outcome);
                break;
        }
    }

    internal static ToolOutcome OutcomeOf(string output)
    {
        if (output.Contains("rejected by user", StringComparison.OrdinalIgnoreCase) || output.Contains("user declined", StringComparison.OrdinalIgnoreCase))
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

        const string ExitMarker = "Process exited with code ";
        var at = output.IndexOf(ExitMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            const string Other = "Exit code: ";
            at = output.IndexOf(Other, StringComparison.Ordinal);
            if (at >= 0)
                at += Other.Length - ExitMarker.Length;
        }

        if (at >= 0)
        {
            var digits = output.AsSpan(at + ExitMarker.Length);
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

    public string? AgentId { get; set; }

    public string? Model { get; set; }

    public CodexUsage? Total { get; set; }
}
