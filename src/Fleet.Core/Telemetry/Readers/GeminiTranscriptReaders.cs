using System.Text.Json;
using Fleet.Streams;
using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// A fleet worker's gemini log: headless <c>gemini -p -o stream-json</c> (the <c>result</c> line's tokens per model,
/// this process's calls only, <see cref="GeminiStreamReader.Usage"/>: the tokens its exit record priced), or
/// <c>gemini --acp</c>'s JSON-RPC, of which only errors are read (<see cref="ReadAcp"/>).
/// </summary>
internal sealed class GeminiStreamTranscriptReader(ReaderContext context) : TranscriptReader(context)
{
    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);
    private string? _sessionId;

    public override void Read(JsonElement root, long line)
    {
        var time = Time(root) ?? Context.FallbackTime;
        if (GeminiAcp.IsMessage(root))
        {
            ReadAcp(root, line, time);
            return;
        }

        switch (root.Str("type"))
        {
            case "init":
                _sessionId ??= root.Str("session_id");
                Add(new SessionRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), Project = Context.Project, Entrypoint = "gemini_headless" }, time);
                break;
            case "tool_use" when root.Str("tool_id") is { } id:
                _toolNames[id] = root.Str("tool_name") ?? "?";
                break;
            case "tool_result" when root.Str("tool_id") is { } id:
                var name = _toolNames.GetValueOrDefault(id, "?");
                Add(new ToolCallRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), Name = name, ToolUseId = id, Outcome = GeminiTools.Outcome(root.Str("status")) }, time);
                break;
            case "error":
                Add(new ApiErrorRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), ErrorKind = root.Str("severity") ?? "error", Message = root.Str("message") }, time);
                break;
            case "result":
                if (root.Prop("error") is { } error)
                    Add(new ApiErrorRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), ErrorKind = error.Str("type") ?? "error", Message = error.Str("message") }, time);
                if (root.Prop("stats")?.Prop("models") is { ValueKind: JsonValueKind.Object } models)
                {
                    foreach (var model in models.EnumerateObject())
                    {
                        var usage = GeminiStreamReader.Usage(model.Value);
                        if (usage.InputTokens + usage.OutputTokens == 0)
                            continue;
                        Add(GeminiTools.Call(Context.At(line), model.Name, usage, _sessionId is null ? null : $"{_sessionId}:{line}:{model.Name}"), time);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// An ACP log gives only its errors: ACP's per-prompt totals do not split cached input or thoughts, so the session,
    /// its calls and its tool calls are read from gemini's own session file, which the worker's exit record names and the
    /// flight recorder ingests beside the log (<see cref="GeminiSessionReader"/>); the log would count them twice.
    /// </summary>
    private void ReadAcp(JsonElement root, long line, DateTimeOffset? time)
    {
        _sessionId ??= root.Prop("params")?.Str("sessionId") ?? root.Prop("result")?.Str("sessionId");
        if (root.Prop("error") is { } error)
            Add(new ApiErrorRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), ErrorKind = "error", Message = error.Str("message") }, time);
    }

    private void Add(TelemetryRecord record, DateTimeOffset? time) =>
        Sink.Add(record with { SessionId = _sessionId, Timestamp = time, Tags = Context.Tags, Folder = Context.Project });
}

/// <summary>
/// Gemini CLI's own session file (<c>~/.gemini/tmp/&lt;project&gt;/chats/session-*.jsonl</c>, 0.61.0): a first line of
/// metadata (<c>sessionId</c>, <c>projectHash</c>, <c>startTime</c>), then messages (<c>type</c> <c>user</c>,
/// <c>gemini</c>, <c>info</c>, <c>error</c>) and <c>$set</c> updates. A model message is written again when its tool
/// calls complete (same <c>id</c>), so calls and tool calls are counted once per id. Each model message's
/// <c>tokens</c> are one model call; thoughts are billed as output.
/// </summary>
internal sealed class GeminiSessionReader(ReaderContext context) : TranscriptReader(context)
{
    // Kept across passes: a fleet worker's session file is read again after each iteration from where the last pass ended.
    private const int SeenKept = 256;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private string? _sessionId;

    public override string? SaveState() => JsonSerializer.Serialize(new GeminiSessionState { SessionId = _sessionId, Seen = [.. _seenOrder] }, ReaderStateJsonContext.Default.GeminiSessionState);

    public override void LoadState(string state)
    {
        var saved = JsonSerializer.Deserialize(state, ReaderStateJsonContext.Default.GeminiSessionState) ?? new GeminiSessionState();
        _sessionId = saved.SessionId;
        foreach (var id in saved.Seen)
            Remember(id);
    }

    private bool Remember(string id)
    {
        if (!_seen.Add(id))
            return false;
        _seenOrder.Enqueue(id);
        if (_seenOrder.Count > SeenKept)
            _seen.Remove(_seenOrder.Dequeue());
        return true;
    }

    public override void Read(JsonElement root, long line)
    {
        var time = Time(root) ?? ParseTime(root.Str("startTime")) ?? Context.FallbackTime;
        if (root.Str("projectHash") is not null && root.Str("sessionId") is { } session)
        {
            if (_sessionId != session)
            {
                _sessionId = session;
                Add(new SessionRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), Project = Context.Project, Entrypoint = root.Str("kind") ?? "gemini" }, time);
            }

            return;
        }

        var id = root.Str("id");
        switch (root.Str("type"))
        {
            case "user" when id is not null && Remember(id):
                var text = string.Join('\n', root.Array("content").Select(p => p.Str("text")).OfType<string>().Where(t => !t.StartsWith("<session_context>", StringComparison.Ordinal)));
                if (text.Length > 0)
                    Add(new HumanPromptRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), Length = text.Length, Text = Privacy.KeepsText ? Privacy.Text(text) : null }, time);
                break;
            case "gemini" when id is not null:
                if (root.Prop("tokens") is { } tokens && Remember(id))
                    Add(GeminiTools.Call(Context.At(line), root.Str("model") ?? "gemini", GeminiSessionFile.Usage(tokens), $"{_sessionId}:{id}"), time);

                foreach (var call in root.Array("toolCalls"))
                {
                    if (call.Str("id") is { } callId && call.Str("status") is { } status && Remember("tool:" + callId))
                    {
                        Add(new ToolCallRecord
                        {
                            Provider = AgentProvider.Gemini, Source = Context.At(line), Name = call.Str("name") ?? "?", ToolUseId = callId, Outcome = GeminiTools.Outcome(status),
                            Input = Privacy.KeepsText && call.Prop("args") is { } args ? Privacy.Text(args.GetRawText()) : null,
                        }, Time(call) ?? time);
                    }
                }

                break;
            case "error" when id is not null && Remember(id):
                Add(new ApiErrorRecord { Provider = AgentProvider.Gemini, Source = Context.At(line), ErrorKind = "error", Message = TextOfContent(root.Prop("content")) }, time);
                break;
        }
    }

    private void Add(TelemetryRecord record, DateTimeOffset? time) =>
        Sink.Add(record with { SessionId = _sessionId, Timestamp = time, Tags = Context.Tags, Folder = Context.Project });
}

/// <summary>What both gemini readers build the same way.</summary>
internal static class GeminiTools
{
    public static ToolOutcome Outcome(string? status) => status switch
    {
        "success" => ToolOutcome.Ok,
        "cancelled" => ToolOutcome.Rejected,
        _ => ToolOutcome.Error,
    };

    /// <summary>One model's tokens as a call record; the usage report prices it from the same table and rule as the exit record.</summary>
    public static ModelCallRecord Call(SourceRef source, string model, GeminiUsage usage, string? messageId) => new()
    {
        Provider = AgentProvider.Gemini,
        Source = source,
        Model = model,
        MessageId = messageId,
        InputTokens = usage.UncachedInputTokens,
        CacheReadTokens = Math.Min(usage.CachedInputTokens, usage.InputTokens),
        OutputTokens = usage.OutputTokens,
    };
}

/// <summary>What a gemini session file's reader carries from one pass to the next.</summary>
internal sealed class GeminiSessionState
{
    public string? SessionId { get; set; }

    public List<string> Seen { get; set; } = [];
}
