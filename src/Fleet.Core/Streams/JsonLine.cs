using System.Text.Json;
using System.Text.Unicode;

namespace Fleet.Streams;

/// <summary>Parsing one JSONL line without ever throwing, and reading optional fields of any shape.</summary>
internal static class JsonLine
{
    /// <summary>Outcome of looking at one line.</summary>
    internal enum Kind
    {
        /// <summary>Empty or whitespace only: not an event, not malformed.</summary>
        Blank,

        /// <summary>A JSON object; the document is returned.</summary>
        Object,

        /// <summary>Not JSON, truncated JSON, several values, or a JSON value that is not an object.</summary>
        Malformed,
    }

    internal static Kind TryParse(ReadOnlySpan<byte> line, out JsonDocument? document)
    {
        document = null;
        if (line.StartsWith("\uFEFF"u8))
            line = line[3..];

        if (line.Trim(" \t\r\n"u8).IsEmpty)
            return Kind.Blank;

        // The JSON reader does not validate UTF-8 inside strings until they are read; a bad byte would throw later.
        if (!Utf8.IsValid(line))
            return Kind.Malformed;

        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read() || doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                return Kind.Malformed;
            }

            document = doc;
            return Kind.Object;
        }
        catch (JsonException)
        {
            return Kind.Malformed;
        }
    }

    internal static JsonElement? Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    internal static string? Str(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    internal static long? Long(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : null;

    internal static int? Int(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var n) ? n : null;

    internal static double? Double(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetDouble(out var n) ? n : null;

    /// <summary>A number as written (decimal keeps <c>0.0008085000000000002</c> exactly, no binary rounding).</summary>
    internal static decimal? Decimal(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetDecimal(out var n) ? n : null;

    internal static bool? Bool(this JsonElement e, string name) =>
        e.Prop(name) switch
        {
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => null,
        };

    internal static IEnumerable<JsonElement> Array(this JsonElement e, string name) =>
        e.Prop(name) is { ValueKind: JsonValueKind.Array } v ? v.EnumerateArray() : [];

    internal static IReadOnlyList<string> Strings(this JsonElement e, string name) =>
        [.. e.Array(name).Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)];

    /// <summary>
    /// The stream parsers' common frame: parse one line as an object and hand its root to <paramref name="parse"/>;
    /// false when the line is malformed (blank lines are neither events nor malformed).
    /// </summary>
    internal static bool TryParseEvents(ReadOnlySpan<byte> line, List<AgentEvent> events, Action<JsonElement, List<AgentEvent>> parse)
    {
        ArgumentNullException.ThrowIfNull(events);
        var kind = TryParse(line, out var doc);
        if (kind != Kind.Object)
            return kind == Kind.Blank;

        using (doc)
            parse(doc!.RootElement, events);
        return true;
    }
}
