using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Fleet.Streams;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>The transcript shapes fleet reads.</summary>
public enum TranscriptFormat
{
    Unknown,

    /// <summary>Claude Code's on-disk session JSONL (or its JSON-array dump, <c>.chat.json</c>).</summary>
    ClaudeTranscript,

    /// <summary><c>claude -p --output-format stream-json</c> (a fleet worker's log).</summary>
    ClaudeStream,

    /// <summary>Codex's on-disk rollout (<c>sessions/YYYY/MM/DD/rollout-*.jsonl</c>).</summary>
    CodexRollout,

    /// <summary><c>codex exec --json</c> (a fleet worker's log).</summary>
    CodexExec,

    /// <summary><c>gemini -p -o stream-json</c> (a fleet worker's log).</summary>
    GeminiStream,

    /// <summary>Gemini CLI's on-disk session (<c>~/.gemini/tmp/&lt;project&gt;/chats/session-*.jsonl</c>).</summary>
    GeminiSession,
}

/// <summary>What a reader's own scan of a raw line decided.</summary>
internal enum LineScan
{
    /// <summary>The scan does not cover this line: parse it into a document and call <see cref="TranscriptReader.Read"/>.</summary>
    NeedsDocument,

    /// <summary>The line was read completely (and validated) by the scan.</summary>
    Done,

    /// <summary>The line is not one JSON object.</summary>
    Malformed,
}

/// <summary>What every reader of one file needs.</summary>
internal sealed class ReaderContext
{
    public required string File { get; init; }

    public required RecordSink Sink { get; init; }

    public required PrivacyPolicy Privacy { get; init; }

    public RunTags Tags { get; init; } = RunTags.None;

    /// <summary>The Claude project folder or another grouping name derived from the path.</summary>
    public string? Project { get; init; }

    /// <summary>The model to assume where the stream does not say (Codex exec).</summary>
    public string? Model { get; init; }

    /// <summary>A worker log of a resumed codex thread: its usage before the run.</summary>
    public CodexBaseline? CodexBaseline { get; init; }

    /// <summary>A worker log of a resumed claude session: its cost before the run.</summary>
    public ClaudeBaseline? ClaudeBaseline { get; init; }

    /// <summary>When a line carries no time: the file's last write time.</summary>
    public DateTimeOffset? FallbackTime { get; init; }

    /// <summary>
    /// Let readers read common line shapes with their own <see cref="JsonLineScanner"/> scan instead of a
    /// <see cref="JsonDocument"/>. Off only in tests that prove both paths store the same rows.
    /// </summary>
    public bool Scans { get; init; } = true;

    public SourceRef At(long line) => new(File, line);
}

/// <summary>
/// Turns the parsed lines of one transcript into records. Never throws on odd input: unknown types are
/// skipped, missing fields are nulls. A reader may keep state across incremental passes (<see cref="SaveState"/>).
/// </summary>
internal abstract class TranscriptReader(ReaderContext context)
{
    protected ReaderContext Context { get; } = context;

    protected RecordSink Sink => Context.Sink;

    protected PrivacyPolicy Privacy => Context.Privacy;

    public abstract void Read(JsonElement root, long line);

    /// <summary>
    /// True when the raw line certainly holds nothing this reader records, so it need not be parsed. Only
    /// structural byte patterns count: inside a JSON string every quote is escaped, so <c>"type":"x"</c>
    /// can only be a real key and value. When in doubt, false.
    /// </summary>
    public virtual bool CanSkip(ReadOnlySpan<byte> line) => false;

    /// <summary>
    /// Reads a line (UTF-8 valid, not blank, BOM removed) without a <see cref="JsonDocument"/> when its shape is
    /// one the reader scans; must store exactly what <see cref="Read"/> would, validate the whole line the way
    /// <see cref="JsonDocument"/> does, and return <see cref="LineScan.NeedsDocument"/> before adding anything
    /// when in doubt.
    /// </summary>
    public LineScan Scan(ReadOnlySpan<byte> line, long lineNumber) =>
        Context.Scans ? ScanLine(line, lineNumber) : LineScan.NeedsDocument;

    /// <summary>See <see cref="Scan"/>.</summary>
    protected virtual LineScan ScanLine(ReadOnlySpan<byte> line, long lineNumber) => LineScan.NeedsDocument;

    /// <summary>State to resume from at the next pass (JSON), or null.</summary>
    public virtual string? SaveState() => null;

    public virtual void LoadState(string state)
    {
    }

    public static TranscriptReader Create(TranscriptFormat format, ReaderContext context) => format switch
    {
        TranscriptFormat.ClaudeTranscript => new ClaudeTranscriptReader(context),
        TranscriptFormat.ClaudeStream => new ClaudeStreamTranscriptReader(context),
        TranscriptFormat.CodexRollout => new CodexRolloutReader(context),
        TranscriptFormat.CodexExec => new CodexExecTranscriptReader(context),
        TranscriptFormat.GeminiStream => new GeminiStreamTranscriptReader(context),
        TranscriptFormat.GeminiSession => new GeminiSessionReader(context),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no reader for this format"),
    };

    /// <summary>The format one parsed line belongs to, or <see cref="TranscriptFormat.Unknown"/> when it does not tell.</summary>
    public static TranscriptFormat Sniff(JsonElement root)
    {
        var type = root.Str("type");
        if (root.Prop("payload") is { ValueKind: JsonValueKind.Object } && type is not null)
            return TranscriptFormat.CodexRollout;
        if (type is not null && (type.StartsWith("thread.", StringComparison.Ordinal) || type.StartsWith("turn.", StringComparison.Ordinal) || type.StartsWith("item.", StringComparison.Ordinal)))
            return TranscriptFormat.CodexExec;
        if (root.Str("method") is { } method && (method.StartsWith("thread/", StringComparison.Ordinal) || method.StartsWith("turn/", StringComparison.Ordinal) || method.StartsWith("item/", StringComparison.Ordinal)))
            return TranscriptFormat.CodexExec; // app-server's JSON-RPC, as a fleet worker's log keeps it
        if (root.Str("jsonrpc") == "2.0")
            return TranscriptFormat.GeminiStream; // gemini --acp's JSON-RPC, as a fleet worker's log keeps it
        if (root.Prop("projectHash") is not null && root.Prop("sessionId") is not null)
            return TranscriptFormat.GeminiSession;
        if (type is "init" or "tool_use" or "tool_result" && root.Prop("timestamp") is not null && root.Prop("uuid") is null)
            return TranscriptFormat.GeminiStream;
        if (type == "result" && root.Prop("stats") is not null && root.Prop("status") is not null)
            return TranscriptFormat.GeminiStream;
        if (root.Prop("sessionId") is not null || root.Prop("parentUuid") is not null || root.Prop("leafUuid") is not null)
            return TranscriptFormat.ClaudeTranscript;
        if (root.Prop("session_id") is not null || type is "result" or "stream_event")
            return TranscriptFormat.ClaudeStream;
        return type is "user" or "assistant" or "summary" or "file-history-snapshot" or "queue-operation" or "progress"
            ? TranscriptFormat.ClaudeTranscript
            : TranscriptFormat.Unknown;
    }

    protected static DateTimeOffset? Time(JsonElement root, string name = "timestamp") => ParseTime(root.Str(name));

    protected static DateTimeOffset? ParseTime(string? text)
    {
        if (text is null)
            return null;
        if (text.Length <= MaxTimestampLength)
        {
            Span<byte> ascii = stackalloc byte[MaxTimestampLength];
            if (System.Text.Ascii.FromUtf16(text, ascii, out var written) == System.Buffers.OperationStatus.Done
                && TryParseUtcTimestamp(ascii[..written], out var fast))
            {
                return fast;
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
    }

    /// <summary>The length of <c>2026-02-23T12:00:01.1234567Z</c>, the longest timestamp <see cref="TryParseUtcTimestamp"/> reads.</summary>
    private const int MaxTimestampLength = 28;

    /// <summary>
    /// The timestamp every transcript writes, <c>2026-02-23T12:00:01.123Z</c> (UTC, no fraction or one to seven fraction
    /// digits), read without the general date parser: what <see cref="ParseTime(string)"/>'s <see cref="DateTimeOffset.TryParse(string, IFormatProvider, DateTimeStyles, out DateTimeOffset)"/>
    /// gives for it, to the tick. False for any other text (which then goes to that parser).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseUtcTimestamp(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is < 20 or > MaxTimestampLength || text[^1] != (byte)'Z'
            || text[4] != (byte)'-' || text[7] != (byte)'-' || text[10] != (byte)'T' || text[13] != (byte)':' || text[16] != (byte)':'
            || !TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month) || !TryDigits(text.Slice(8, 2), out var day)
            || !TryDigits(text.Slice(11, 2), out var hour) || !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second))
        {
            return false;
        }

        long ticks = 0;
        var fraction = text[19..^1];
        if (!fraction.IsEmpty)
        {
            if (fraction[0] != (byte)'.' || fraction.Length < 2 || !TryDigits(fraction[1..], out var digits))
                return false;
            ticks = digits;
            for (var n = fraction.Length - 1; n < 7; n++)
                ticks *= 10;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTimeOffset(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            if (!char.IsAsciiDigit((char)b))
                return false;
            value = (value * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>The next value as a time if it is a string <see cref="ParseTime(string)"/> reads, else null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static DateTimeOffset? ReadTime(ref JsonLineScanner reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        return !reader.ValueIsEscaped && TryParseUtcTimestamp(reader.ValueSpan, out var time) ? time : ParseTime(reader.GetString());
    }

    // A scan's view of the value after a property name, read the way JsonLine's helpers read a JsonElement's
    // property (a JSON null or another kind is null); the value is stepped over whatever its kind. Inlined: called
    // from scans compiled optimized at once, they would otherwise run as unoptimized calls for most of a short run.

    /// <summary>The next value if it is a string (<see cref="JsonLine.Str"/>), else null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static string? ReadString(ref JsonLineScanner reader)
    {
        reader.Read();
        var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        reader.Skip();
        return value;
    }

    /// <summary>The next value if it is true or false (<see cref="JsonLine.Bool"/>), else null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static bool? ReadBool(ref JsonLineScanner reader)
    {
        reader.Read();
        bool? value = reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => null,
        };
        reader.Skip();
        return value;
    }

    /// <summary>The next value if it is a number that fits a long (<see cref="JsonLine.Long"/>), else null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static long? ReadLong(ref JsonLineScanner reader)
    {
        reader.Read();
        long? value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : null;
        reader.Skip();
        return value;
    }

    /// <summary>
    /// At most the first <paramref name="max"/> characters of a content's text: decodes only that much of a
    /// long string (escapes in the cut part are left as written), so a 1 MB tool output costs nothing.
    /// </summary>
    protected static string HeadOfContent(JsonElement? content, int max)
    {
        switch (content)
        {
            case { ValueKind: JsonValueKind.String } s:
                return Head(s, max);
            case { ValueKind: JsonValueKind.Array } a:
                foreach (var block in a.EnumerateArray())
                {
                    if (block.Str("type") is "text" && block.Prop("text") is { ValueKind: JsonValueKind.String } t)
                        return Head(t, max);
                }

                return "";
            default:
                return "";
        }
    }

    private static string Head(JsonElement text, int max) =>
        HeadOfQuoted(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(text), max) ?? text.GetString() ?? "";

    /// <summary>
    /// <see cref="HeadOfContent"/> for a string as written (quotes included): null when the string is short enough to
    /// decode whole (or no cut decodes), so the caller decodes it the way it reads strings.
    /// </summary>
    protected static string? HeadOfQuoted(ReadOnlySpan<byte> raw, int max)
    {
        if (raw.Length <= (max * 2) + 2)
            return null;

        // Decode a prefix of the escaped value as a JSON string of its own; a cut inside an escape or a UTF-8
        // sequence fails to parse, so cut a byte earlier until it does.
        Span<byte> quoted = stackalloc byte[(max * 2) + 2];
        for (var length = max * 2; length > (max * 2) - 8; length--)
        {
            quoted[0] = (byte)'"';
            raw.Slice(1, length).CopyTo(quoted[1..]);
            quoted[length + 1] = (byte)'"';
            try
            {
                var reader = new Utf8JsonReader(quoted[..(length + 2)]);
                if (reader.Read() && reader.TokenType == JsonTokenType.String)
                    return reader.GetString() ?? "";
            }
            catch (JsonException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        return null;
    }

    protected static string TextOfContent(JsonElement? content) => content switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString()!,
        { ValueKind: JsonValueKind.Array } a => string.Join('\n', a.EnumerateArray()
            .Where(b => b.Str("type") is "text" or "input_text" or "output_text")
            .Select(b => b.Str("text"))),
        _ => "",
    };
}
