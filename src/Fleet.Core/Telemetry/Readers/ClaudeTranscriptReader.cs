using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Fleet.Streams;
using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// Claude Code's on-disk transcript: one entry per line, the same for main
/// sessions, <c>subagents/agent-*.jsonl</c> and compaction files. Assistant lines become model-call
/// candidates (deduplicated by the store across files) and tool calls; user lines become prompts,
/// tool outcomes, answers, approvals, rejections, denials and interrupts.
/// </summary>
internal sealed class ClaudeTranscriptReader(ReaderContext context) : TranscriptReader(context)
{
    internal const string SyntheticModel = "<synthetic>";
    private const string RejectedText = "The user doesn't want to proceed with this tool use";
    private const string RejectedTool = "User rejected tool use";
    private const string SaidMarker = "the user said:";

    private string? _sessionId;
    private byte[] _sessionUtf8 = []; // _sessionId, for the line scan

    // Hook and shell progress ticks and file-history snapshots: a third of a session's lines, no telemetry.
    // Their kind is written near the start; looking only there spares the big lines three passes (a tick whose
    // kind comes later is parsed and ignored).
    // One search for the shared "type":" instead of one per kind.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool CanSkip(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("{\"type\":\"file-history-snapshot\""u8))
            return true;
        var head = line[..Math.Min(line.Length, 2048)];
        for (var at = head.IndexOf("\"type\":\""u8); at >= 0;)
        {
            var kind = head[(at + 8)..];
            if (kind.StartsWith("hook_progress\""u8) || kind.StartsWith("bash_progress\""u8) || kind.StartsWith("waiting_for_task\""u8))
                return true;
            var next = head[(at + 1)..].IndexOf("\"type\":\""u8); // occurrences may share a quote
            at = next < 0 ? -1 : at + 1 + next;
        }

        return false;
    }

    // What the text ReadToolResult looks at must contain for a result to be more than ok/error: the head of a tool
    // result's content and a string toolUseResult. Text that has none of these bytes, and no \u escape that could
    // spell one of their ASCII letters, is a plain outcome (an object toolUseResult matters only by its "answers").
    private static readonly byte[][] GateMarkers =
    [
        "User "u8.ToArray(), // "User rejected tool use", "User has approved …", "User has answered your question…"
        "want to proceed with this tool use"u8.ToArray(), // RejectedText
        "requested permissions to"u8.ToArray(),
    ];

    // A string toolUseResult is only looked at for a rejection (RejectedTool at its start, RejectedText anywhere); the
    // looser markers above ("User " alone) are common in tool outputs and would send those lines to the document path.
    private static readonly byte[][] RejectionMarkers =
    [
        "User rejected tool use"u8.ToArray(), // RejectedTool
        "want to proceed with this tool use"u8.ToArray(), // RejectedText
    ];

    /// <summary>How much of a tool result's content tells a gate from a plain outcome (<c>HeadOfContent</c>).</summary>
    private const int ResultHead = 1024;

    /// <summary>The session's working folder (its first line's <c>cwd</c>): the project its records belong to.</summary>
    private string? _cwd;

    // The session id, then the working folder on a line of its own (a state saved before the folder was kept has none).
    public override string? SaveState() => _cwd is null || _sessionId is null ? _sessionId : _sessionId + "\n" + _cwd;

    public override void LoadState(string state)
    {
        var cut = state.IndexOf('\n', StringComparison.Ordinal);
        SetSession(cut < 0 ? state : state[..cut]);
        _cwd = cut < 0 ? null : state[(cut + 1)..];
    }

    private string? Project => _cwd ?? Context.Project;

    private void SetSession(string sessionId)
    {
        _sessionId = sessionId;
        _sessionUtf8 = Encoding.UTF8.GetBytes(sessionId);
    }

    // What the line scan collected (reused from line to line).
    private readonly List<(string? Id, bool IsError)> _scannedResults = [];
    private readonly List<(string? Name, string? Id)> _scannedTools = [];
    private ScannedUsage _scannedUsage;
    private bool _scannedGate; // some text ReadToolResult looks at may hold a gate marker

    private enum LineType
    {
        Other,
        User,
        Assistant,
        Progress,
        System,
    }

    /// <summary>What the scan kept of a progress line's <c>data</c> (<see cref="ReadProgress"/>).</summary>
    private struct ScannedProgress
    {
        public bool Data;
        public string? AgentId;
        public bool Embedded; // data.message is an object
        public bool Assistant; // data.message.type is "assistant"
        public string? RequestId;
        public DateTimeOffset? Time;
        public bool Message; // data.message.message is an object
        public string? Model;
        public string? MessageId;
        public ScannedUsage Usage;
    }

    /// <summary>A <c>message.usage</c> object as <see cref="UsageCall"/> reads it (null: absent or not a number).</summary>
    private struct ScannedUsage
    {
        public bool Present;
        public long? Input;
        public long? Output;
        public long? CacheCreation;
        public long? CacheRead;
        public bool Breakdown;
        public long? Write5m;
        public long? Write1h;
        public bool Fast;
    }

    /// <summary>
    /// The line shapes that are most of a transcript, read by one validating pass of a <see cref="JsonLineScanner"/>
    /// instead of a <see cref="JsonDocument"/>: a user line that only carries tool results (a third of the bytes,
    /// mostly the tools' output, twice: in <c>message.content</c> and in <c>toolUseResult</c>) with no gate marker
    /// where <see cref="ReadToolResult"/> looks (the head of each result's content, a string <c>toolUseResult</c>, an
    /// <c>answers</c> key), which records each call's ok/error outcome; an assistant line (usage and tool calls)
    /// when no text is kept; and a progress line (a subagent's embedded message, <see cref="ReadProgress"/>). Anything
    /// else (another type, a new session, a compact summary, an API error, a question to the person, a gate marker)
    /// goes to <see cref="Read"/>. Keys are matched unescaped and a repeated key's last value counts, as with
    /// <see cref="JsonDocument"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override LineScan ScanLine(ReadOnlySpan<byte> line, long lineNumber)
    {
        if (_sessionId is null)
            return LineScan.NeedsDocument;

        // Every line is scanned: the scan tells the shapes apart itself. Searching the raw line for its type and kinds
        // first (to send prompts and gates straight to a document) cost three passes over every assistant line, more
        // than scanning the few lines that then go to the document path anyway. When text is kept, assistant lines (a
        // third of the lines) go to the document path, so there only result and progress lines are worth a scan.
        if (Privacy.KeepsText && line.IndexOf("\"tool_result\""u8) < 0 && line.IndexOf("\"type\":\"progress\""u8) < 0)
            return LineScan.NeedsDocument;

        _scannedResults.Clear();
        _scannedTools.Clear();
        _scannedUsage = default;
        _scannedGate = false;
        var type = LineType.Other;
        bool sameSession = true, compact = false, apiError = false, error = false, message = false, systemEvent = false;
        bool? sidechain = null;
        string? agentId = null, requestId = null, model = null, messageId = null;
        DateTimeOffset? time = null;
        ScannedProgress progress = default;
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
                        : reader.ValueTextEquals("user"u8) ? LineType.User
                        : reader.ValueTextEquals("assistant"u8) ? LineType.Assistant
                        : reader.ValueTextEquals("progress"u8) ? LineType.Progress
                        : reader.ValueTextEquals("system"u8) ? LineType.System
                        : LineType.Other;
                    reader.Skip(); // a no-op on a scalar; an object or array is stepped over
                }
                else if (reader.ValueTextEquals("sessionId"u8))
                {
                    reader.Read();
                    sameSession = reader.TokenType != JsonTokenType.String || reader.ValueTextEquals(_sessionUtf8);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("subtype"u8))
                {
                    reader.Read();
                    systemEvent = reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("compact_boundary"u8) || reader.ValueTextEquals("api_error"u8));
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("isCompactSummary"u8))
                {
                    compact = ReadBool(ref reader) == true;
                }
                else if (reader.ValueTextEquals("isSidechain"u8))
                {
                    sidechain = ReadBool(ref reader);
                }
                else if (reader.ValueTextEquals("isApiErrorMessage"u8))
                {
                    apiError = ReadBool(ref reader) == true;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    error = ReadString(ref reader) is not null;
                }
                else if (reader.ValueTextEquals("agentId"u8))
                {
                    agentId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    time = ReadTime(ref reader);
                }
                else if (reader.ValueTextEquals("requestId"u8))
                {
                    requestId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    progress = default;
                    progress.Data = reader.TokenType == JsonTokenType.StartObject;
                    if (progress.Data)
                        ScanProgressData(ref reader, ref progress);
                    else
                        reader.Skip();
                }
                else if (reader.ValueTextEquals("toolUseResult"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                        _scannedGate |= MayHoldGate(reader.ValueSpan, RejectionMarkers);
                    else if (reader.TokenType == JsonTokenType.StartObject)
                        _scannedGate |= HasAnswers(ref reader);
                    else
                        reader.Skip();
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    message = reader.TokenType == JsonTokenType.StartObject;
                    (model, messageId) = (null, null);
                    _scannedResults.Clear();
                    _scannedTools.Clear();
                    _scannedUsage = default;
                    if (message)
                        ScanMessage(ref reader, out model, out messageId, ref _scannedUsage, content: true);
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

        // Read records nothing for a type it does not know (queue operations, summaries, a type that is not a string),
        // whatever their session.
        if (type == LineType.Other)
            return LineScan.Done;
        if (!sameSession)
            return LineScan.NeedsDocument;
        if (type == LineType.System)
            return systemEvent ? LineScan.NeedsDocument : LineScan.Done; // ReadSystem records only these two subtypes
        if (type == LineType.User && compact)
            return LineScan.Done; // ReadUser skips a compact summary
        if (type == LineType.Progress)
        {
            var p = progress;
            if (p.Data && p.Embedded && p.Assistant && p.Message && p.Model != SyntheticModel && p.Usage.Present)
                Sink.Add(ScannedCall(p.Usage, p.Model, p.MessageId, p.RequestId, p.AgentId, sidechain: true, p.Time ?? time, lineNumber));
            return LineScan.Done;
        }

        if (type == LineType.User && !compact && _scannedResults.Count > 0)
        {
            if (_scannedGate)
                return LineScan.NeedsDocument;
            foreach (var (id, isError) in _scannedResults)
            {
                if (id is not null)
                    Sink.Resolve(id, isError ? ToolOutcome.Error : ToolOutcome.Ok);
            }

            return LineScan.Done;
        }

        if (type != LineType.Assistant || Privacy.KeepsText || apiError || error || AsksTheUser())
            return LineScan.NeedsDocument;
        if (!message)
            return LineScan.Done;

        if (model != SyntheticModel && _scannedUsage.Present)
            Sink.Add(ScannedCall(_scannedUsage, model, messageId, requestId, agentId, sidechain ?? false, time, lineNumber));

        foreach (var (name, id) in _scannedTools)
        {
            Sink.Add(new ToolCallRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(lineNumber),
                Name = name ?? "?",
                ToolUseId = id,
                Outcome = ToolOutcome.Pending,
                SessionId = _sessionId,
                AgentId = agentId,
                Sidechain = sidechain ?? false,
                Timestamp = time,
                Tags = Context.Tags,
            });
        }

        return LineScan.Done;
    }

    /// <summary>True when the scanned message calls AskUserQuestion (a question record, which <see cref="Read"/> makes).</summary>
    private bool AsksTheUser()
    {
        foreach (var (name, _) in _scannedTools)
        {
            if (name == "AskUserQuestion")
                return true;
        }

        return false;
    }

    /// <summary>A scanned call as <see cref="UsageCall"/> and its envelope make it (the session is this reader's: a line of another goes to <see cref="Read"/>).</summary>
    private ModelCallRecord ScannedCall(in ScannedUsage u, string? model, string? messageId, string? requestId, string? agentId, bool sidechain, DateTimeOffset? time, long line) => new()
    {
        Provider = AgentProvider.Claude,
        Source = Context.At(line),
        Model = model,
        MessageId = messageId,
        InputTokens = u.Input ?? 0,
        OutputTokens = u.Output ?? 0,
        CacheWrite5mTokens = u.Breakdown ? u.Write5m ?? 0 : u.CacheCreation ?? 0,
        CacheWrite1hTokens = u.Breakdown ? u.Write1h ?? 0 : 0,
        CacheReadTokens = u.CacheRead ?? 0,
        Fast = u.Fast,
        RequestId = requestId,
        SessionId = _sessionId,
        AgentId = agentId,
        Sidechain = sidechain,
        Timestamp = time,
        Tags = Context.Tags,
        Folder = Project,
    };

    /// <summary>Reads a progress line's <c>data</c> object up to its end: the agent, and the embedded message's envelope and usage.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanProgressData(ref JsonLineScanner reader, ref ScannedProgress p)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("agentId"u8))
            {
                p.AgentId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                (p.Assistant, p.RequestId, p.Time, p.Message, p.Model, p.MessageId, p.Usage) = (false, null, null, false, null, null, default);
                p.Embedded = reader.TokenType == JsonTokenType.StartObject;
                if (!p.Embedded)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("type"u8))
                    {
                        reader.Read();
                        p.Assistant = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("assistant"u8);
                        reader.Skip();
                    }
                    else if (reader.ValueTextEquals("requestId"u8))
                    {
                        p.RequestId = ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("timestamp"u8))
                    {
                        p.Time = ReadTime(ref reader);
                    }
                    else if (reader.ValueTextEquals("message"u8))
                    {
                        reader.Read();
                        p.Usage = default;
                        p.Message = reader.TokenType == JsonTokenType.StartObject;
                        if (p.Message)
                        {
                            ScanMessage(ref reader, out p.Model, out p.MessageId, ref p.Usage, content: false);
                        }
                        else
                        {
                            (p.Model, p.MessageId) = (null, null);
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Skip(); // from the property name over its value
                    }
                }
            }
            else
            {
                reader.Skip(); // from the property name over its value
            }
        }
    }

    /// <summary>
    /// Reads a <c>message</c> object up to its end: model, id, usage, and (when <paramref name="content"/>) its content's
    /// tool results and tool calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanMessage(ref JsonLineScanner reader, out string? model, out string? messageId, ref ScannedUsage usage, bool content)
    {
        (model, messageId) = (null, null);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                model = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                messageId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                usage = default;
                if (reader.TokenType == JsonTokenType.StartObject)
                    ScanUsage(ref reader, ref usage);
                else
                    reader.Skip();
            }
            else if (content && reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                _scannedResults.Clear(); // a later "content" replaces an earlier one
                _scannedTools.Clear();
                if (reader.TokenType == JsonTokenType.StartArray)
                    ScanContent(ref reader);
                else
                    reader.Skip();
            }
            else
            {
                reader.Skip(); // from the property name over its value
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanContent(ref JsonLineScanner reader)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            bool toolResult = false, toolUse = false, isError = false, gate = false;
            string? toolUseId = null, id = null, name = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    toolResult = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("tool_result"u8);
                    toolUse = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("tool_use"u8);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("tool_use_id"u8))
                {
                    toolUseId = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("is_error"u8))
                {
                    isError = ReadBool(ref reader) == true;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    id = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    name = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                        gate |= MayHoldGate(HeadRegion(reader.ValueSpan), GateMarkers);
                    else if (reader.TokenType == JsonTokenType.StartArray)
                        gate |= StringsMayHoldGate(ref reader);
                    else
                        reader.Skip();
                }
                else
                {
                    reader.Skip(); // from the property name over its value
                }
            }

            _scannedGate |= toolResult && gate;
            if (toolResult)
                _scannedResults.Add((toolUseId, isError));
            else if (toolUse)
                _scannedTools.Add((name, id));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScanUsage(ref JsonLineScanner reader, ref ScannedUsage usage)
    {
        usage.Present = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                usage.Input = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                usage.Output = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                usage.CacheCreation = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                usage.CacheRead = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("speed"u8))
            {
                reader.Read();
                usage.Fast = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("fast"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("cache_creation"u8))
            {
                reader.Read();
                usage.Breakdown = reader.TokenType == JsonTokenType.StartObject;
                (usage.Write5m, usage.Write1h) = (null, null);
                if (!usage.Breakdown)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("ephemeral_5m_input_tokens"u8))
                    {
                        usage.Write5m = ReadLong(ref reader);
                    }
                    else if (reader.ValueTextEquals("ephemeral_1h_input_tokens"u8))
                    {
                        usage.Write1h = ReadLong(ref reader);
                    }
                    else
                    {
                        reader.Skip(); // from the property name over its value
                    }
                }
            }
            else
            {
                reader.Skip(); // from the property name over its value
            }
        }
    }

    /// <summary>
    /// The part of a content string (as written) that <c>HeadOfContent</c> decodes for <see cref="ResultHead"/>
    /// characters: a prefix of twice that many bytes, or the whole string when an escape near the cut could make every
    /// cut fail (a run of escaped surrogate pairs), in which case the whole string is decoded.
    /// </summary>
    private static ReadOnlySpan<byte> HeadRegion(ReadOnlySpan<byte> raw)
    {
        const int Cut = ResultHead * 2;
        return raw.Length <= Cut || raw[(Cut - 20)..Cut].Contains((byte)'\\') ? raw : raw[..Cut];
    }

    /// <summary>Steps over an array content; true when the head of any string in it may hold a gate marker.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool StringsMayHoldGate(ref JsonLineScanner reader)
    {
        var gate = false;
        for (var depth = 1; depth > 0;)
        {
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.String:
                    gate = gate || MayHoldGate(HeadRegion(reader.ValueSpan), GateMarkers);
                    break;
            }
        }

        return gate;
    }

    /// <summary>Steps over a <c>toolUseResult</c> object; true when it has an <c>answers</c> key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool HasAnswers(ref JsonLineScanner reader)
    {
        var answers = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            answers |= reader.ValueTextEquals("answers"u8);
            reader.Skip(); // from the property name over its value
        }

        return answers;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool MayHoldGate(ReadOnlySpan<byte> text, byte[][] markers)
    {
        foreach (var marker in markers)
        {
            if (text.IndexOf(marker) >= 0)
                return true;
        }

        // JSON may spell any character as \uXXXX; writers only do so for control characters, but a marker's
        // letters written that way (\u0020-\u007F) would hide it from the byte search above.
        for (var rest = text; rest.IndexOf("\\u00"u8) is var at and >= 0; rest = rest[(at + 4)..])
        {
            if (at + 4 < rest.Length && rest[at + 4] is >= (byte)'2' and <= (byte)'7')
                return true;
        }

        return false;
    }

    public override void Read(JsonElement root, long line)
    {
        var type = root.Str("type");
        var sessionId = root.Str("sessionId");
        if (sessionId is not null && sessionId != _sessionId && type is "user" or "assistant" or "system")
        {
            SetSession(sessionId);
            _cwd = root.Str("cwd") is { Length: > 0 } cwd ? cwd : null;
            Sink.Add(new SessionRecord
            {
                Provider = AgentProvider.Claude,
                SessionId = sessionId,
                AgentId = root.Str("agentId"),
                Sidechain = root.Bool("isSidechain") ?? false,
                Timestamp = Time(root),
                Source = Context.At(line),
                Tags = Context.Tags,
                Project = Project,
                Version = root.Str("version"),
                Entrypoint = root.Str("entrypoint"),
                GitBranch = root.Str("gitBranch"),
            });
        }

        switch (type)
        {
            case "assistant":
                ReadAssistant(root, line);
                break;
            case "user":
                ReadUser(root, line);
                break;
            case "system":
                ReadSystem(root, line);
                break;
            case "progress":
                ReadProgress(root, line);
                break;
        }
    }

    /// <summary>
    /// <c>progress/agent_progress</c> embeds a subagent's messages, usage included. Older versions wrote no
    /// subagent file, so this is the only record of that spend; where the subagent file exists, the store's
    /// dedup on (message.id, requestId) keeps one of the two. Only the usage is taken: tool calls and
    /// prompts are the subagent file's to report.
    /// </summary>
    private void ReadProgress(JsonElement root, long line)
    {
        if (root.Prop("data") is not { ValueKind: JsonValueKind.Object } data
            || data.Prop("message") is not { ValueKind: JsonValueKind.Object } embedded
            || embedded.Str("type") != "assistant"
            || embedded.Prop("message") is not { ValueKind: JsonValueKind.Object } message
            || message.Str("model") == SyntheticModel
            || message.Prop("usage") is not { ValueKind: JsonValueKind.Object } usage)
        {
            return;
        }

        Sink.Add(UsageCall(message, usage, line) with
        {
            RequestId = embedded.Str("requestId"),
            SessionId = root.Str("sessionId") ?? _sessionId,
            AgentId = data.Str("agentId"),
            Sidechain = true,
            Timestamp = Time(embedded) ?? Time(root),
            Tags = Context.Tags,
            Folder = Project,
        });
    }

    private ModelCallRecord UsageCall(JsonElement message, JsonElement usage, long line)
    {
        var cacheCreation = usage.Long("cache_creation_input_tokens") ?? 0;
        long write5m = cacheCreation, write1h = 0;
        if (usage.Prop("cache_creation") is { ValueKind: JsonValueKind.Object } breakdown)
        {
            write5m = breakdown.Long("ephemeral_5m_input_tokens") ?? 0;
            write1h = breakdown.Long("ephemeral_1h_input_tokens") ?? 0;
        }

        return new ModelCallRecord
        {
            Provider = AgentProvider.Claude,
            Source = Context.At(line),
            Model = message.Str("model"),
            MessageId = message.Str("id"),
            InputTokens = usage.Long("input_tokens") ?? 0,
            OutputTokens = usage.Long("output_tokens") ?? 0,
            CacheWrite5mTokens = write5m,
            CacheWrite1hTokens = write1h,
            CacheReadTokens = usage.Long("cache_read_input_tokens") ?? 0,
            Fast = usage.Str("speed") == "fast",
        };
    }

    private TelemetryRecord Envelope(TelemetryRecord record, JsonElement root) => record with
    {
        SessionId = root.Str("sessionId") ?? _sessionId,
        AgentId = root.Str("agentId"),
        Sidechain = root.Bool("isSidechain") ?? false,
        Timestamp = Time(root),
        Tags = Context.Tags,
        Folder = Project,
    };

    private void ReadAssistant(JsonElement root, long line)
    {
        if (root.Prop("message") is not { ValueKind: JsonValueKind.Object } message)
            return;

        var model = message.Str("model");
        if (root.Bool("isApiErrorMessage") == true || (model == SyntheticModel && root.Str("error") is not null))
        {
            var text = TextOfContent(message.Prop("content"));
            Sink.Add(Envelope(new ApiErrorRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                Status = root.Int("apiErrorStatus") ?? StatusOf(text),
                ErrorKind = root.Str("error"),
                Message = text.Length > 0 ? text : null,
            }, root));
        }

        // <synthetic> lines (API errors, "No response requested.") are not billable.
        if (model != SyntheticModel && message.Prop("usage") is { ValueKind: JsonValueKind.Object } usage)
            Sink.Add(Envelope(UsageCall(message, usage, line) with { RequestId = root.Str("requestId") }, root));

        foreach (var block in message.Array("content"))
        {
            if (block.Str("type") != "tool_use")
                continue;
            var name = block.Str("name") ?? "?";
            var id = block.Str("id");
            var input = block.Prop("input");
            Sink.Add(Envelope(new ToolCallRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                Name = name,
                ToolUseId = id,
                Outcome = ToolOutcome.Pending,
                Input = Privacy.KeepsText && input is { } i ? Privacy.Text(i.GetRawText()) : null,
            }, root));

            if (name == "AskUserQuestion")
            {
                var questions = input?.Array("questions").ToList() ?? [];
                Sink.Add(Envelope(new QuestionRecord
                {
                    Provider = AgentProvider.Claude,
                    Source = Context.At(line),
                    Tool = name,
                    ToolUseId = id,
                    Questions = questions.Count,
                    Text = Privacy.KeepsText ? Privacy.Text(string.Join('\n', questions.Select(q => q.Str("question")).Where(q => q is not null))) : null,
                }, root));
            }
        }
    }

    private void ReadUser(JsonElement root, long line)
    {
        if (root.Bool("isCompactSummary") == true || root.Prop("message") is not { ValueKind: JsonValueKind.Object } message)
            return;

        var content = message.Prop("content");
        var sawToolResult = false;
        if (content is { ValueKind: JsonValueKind.Array } blocks)
        {
            foreach (var block in blocks.EnumerateArray())
            {
                if (block.Str("type") != "tool_result")
                    continue;
                sawToolResult = true;
                ReadToolResult(root, block, line);
            }
        }

        if (sawToolResult || root.Bool("isMeta") == true)
            return;

        var text = TextOfContent(content);
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.StartsWith("[Request interrupted by user", StringComparison.Ordinal))
        {
            Sink.Add(Envelope(new InterruptRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                Reason = trimmed.Contains("for tool use", StringComparison.Ordinal) ? "user_for_tool_use" : "user",
            }, root));
            return;
        }

        // A subagent's prompt comes from its parent agent, not from a person.
        if (root.Bool("isSidechain") == true || trimmed.IsEmpty)
            return;

        string? command = null;
        var at = text.IndexOf("<command-name>", StringComparison.Ordinal);
        if (at >= 0)
        {
            var end = text.IndexOf("</command-name>", at, StringComparison.Ordinal);
            command = end > at ? text[(at + "<command-name>".Length)..end].Trim() : "?";
        }
        else if (trimmed.StartsWith("<local-command-", StringComparison.Ordinal)
            || trimmed.StartsWith("<task-notification>", StringComparison.Ordinal)
            || trimmed.StartsWith("<session-start-hook>", StringComparison.Ordinal)
            || trimmed.StartsWith("<system-reminder>", StringComparison.Ordinal)
            || trimmed.StartsWith("<user-prompt-submit-hook>", StringComparison.Ordinal)
            || trimmed.StartsWith("Caveat: The messages below were generated by the user while running local commands", StringComparison.Ordinal))
        {
            return;
        }

        Sink.Add(Envelope(new HumanPromptRecord
        {
            Provider = AgentProvider.Claude,
            Source = Context.At(line),
            Length = text.Length,
            Command = command,
            Text = Privacy.Text(text),
        }, root));
    }

    private void ReadToolResult(JsonElement root, JsonElement block, long line)
    {
        var id = block.Str("tool_use_id");
        var isError = block.Bool("is_error") ?? false;
        // Only the start of a tool's output tells a rejection, an approval, an answer or a denial: never decode a whole file read.
        var text = HeadOfContent(block.Prop("content"), ResultHead);
        var result = root.Prop("toolUseResult");
        var resultText = result is { ValueKind: JsonValueKind.String } s ? s.GetString() ?? "" : "";
        var name = id is null ? null : Sink.NameOf(id);

        ToolOutcome outcome;
        if (text.Contains(RejectedText, StringComparison.Ordinal) || resultText.StartsWith(RejectedTool, StringComparison.Ordinal) || resultText.Contains(RejectedText, StringComparison.Ordinal))
        {
            outcome = ToolOutcome.Rejected;
            var said = text.Contains(SaidMarker, StringComparison.Ordinal);
            Sink.Add(Envelope(new RejectionRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                Subject = name == "ExitPlanMode" ? GateSubject.Plan : GateSubject.Tool,
                ToolUseId = id,
                ToolName = name,
                Text = said && Privacy.KeepsText ? Privacy.Text(Feedback(block)) : null,
            }, root));
        }
        else if (!isError && text.StartsWith("User has approved", StringComparison.Ordinal))
        {
            outcome = ToolOutcome.Ok;
            Sink.Add(Envelope(new ApprovalRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                Subject = GateSubject.Plan,
                ToolUseId = id,
                ToolName = name ?? "ExitPlanMode",
            }, root));
        }
        else if (!isError && (text.StartsWith("User has answered your question", StringComparison.Ordinal) || result?.Prop("answers") is { ValueKind: JsonValueKind.Object }))
        {
            outcome = ToolOutcome.Ok;
            var answers = result?.Prop("answers") is { ValueKind: JsonValueKind.Object } map
                ? map.EnumerateObject().Select(p => $"{p.Name} = {(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}").ToList()
                : null;
            Sink.Add(Envelope(new AnswerRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                ToolUseId = id,
                Answers = answers?.Count ?? CountAnswers(text),
                Text = Privacy.KeepsText ? Privacy.Text(answers is null ? TextOfContent(block.Prop("content")) : string.Join('\n', answers)) : null,
            }, root));
        }
        else if (text.Contains("requested permissions to", StringComparison.Ordinal) && text.Contains("haven't granted it yet", StringComparison.Ordinal))
        {
            outcome = ToolOutcome.Denied;
            Sink.Add(Envelope(new PermissionDeniedRecord
            {
                Provider = AgentProvider.Claude,
                Source = Context.At(line),
                ToolName = name,
                ToolUseId = id,
            }, root));
        }
        else
        {
            outcome = isError ? ToolOutcome.Error : ToolOutcome.Ok;
        }

        if (id is not null)
            Sink.Resolve(id, outcome);
    }

    private void ReadSystem(JsonElement root, long line)
    {
        switch (root.Str("subtype"))
        {
            case "compact_boundary":
                var meta = root.Prop("compactMetadata");
                Sink.Add(Envelope(new CompactionRecord
                {
                    Provider = AgentProvider.Claude,
                    Source = Context.At(line),
                    Trigger = meta?.Str("trigger"),
                    PreTokens = meta?.Long("preTokens"),
                }, root));
                break;
            case "api_error":
                var error = root.Prop("error");
                Sink.Add(Envelope(new ApiErrorRecord
                {
                    Provider = AgentProvider.Claude,
                    Source = Context.At(line),
                    Status = error?.Int("status") ?? root.Int("status"),
                    ErrorKind = error?.Prop("error")?.Str("type"),
                    Message = root.Str("content") ?? error?.Prop("error")?.Str("message"),
                }, root));
                break;
        }
    }

    private static string Feedback(JsonElement block)
    {
        var full = TextOfContent(block.Prop("content"));
        var said = full.IndexOf(SaidMarker, StringComparison.Ordinal);
        return said >= 0 ? full[(said + SaidMarker.Length)..].Trim() : "";
    }

    // "User has answered your questions: "q1"="a1", "q2"="a2". You can now continue …"
    private static int CountAnswers(string text)
    {
        var count = 0;
        for (var i = text.IndexOf("\"=\"", StringComparison.Ordinal); i >= 0; i = text.IndexOf("\"=\"", i + 3, StringComparison.Ordinal))
            count++;
        return Math.Max(count, 1);
    }

    internal static int? StatusOf(string text)
    {
        const string Prefix = "API Error: ";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length < Prefix.Length + 3)
            return null;
        return int.TryParse(text.AsSpan(Prefix.Length, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : null;
    }
}
