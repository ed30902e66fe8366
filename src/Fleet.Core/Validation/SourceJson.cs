using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Validation;

/// <summary>A JSON value with where it stands in its file, so every problem can be reported at its line:col.</summary>
public abstract class SourceNode(string path, int line, int column)
{
    public string Path { get; } = path;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>"an object", "a string"…: how messages name this node's kind.</summary>
    public abstract string KindName { get; }
}

public sealed class SourceObject(string path, int line, int column, IReadOnlyList<SourceProperty> properties) : SourceNode(path, line, column)
{
    public IReadOnlyList<SourceProperty> Properties { get; } = properties;

    public override string KindName => "an object";
}

public sealed record SourceProperty(string Name, int Line, int Column, SourceNode Value);

public sealed class SourceArray(string path, int line, int column, IReadOnlyList<SourceNode> items) : SourceNode(path, line, column)
{
    public IReadOnlyList<SourceNode> Items { get; } = items;

    public override string KindName => "an array";
}

public sealed class SourceValue(string path, int line, int column, JsonValueKind kind, JsonNode? value, string rawText) : SourceNode(path, line, column)
{
    public JsonValueKind Kind { get; } = kind;

    /// <summary>The value as a JsonNode (null for JSON null).</summary>
    public JsonNode? Value { get; } = value;

    /// <summary>The token as written, e.g. <c>3.0</c> or <c>"x"</c>.</summary>
    public string RawText { get; } = rawText;

    public override string KindName => Kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

/// <summary>The parser's complaint about text that is not JSON, at the parser's position.</summary>
public sealed class SourceJsonException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>Parses JSON text into <see cref="SourceNode"/>s, keeping each token's line and column.</summary>
public static class SourceJson
{
    /// <param name="lenient">Skip comments and allow trailing commas (for files fleet reads more loosely than fleet.json).</param>
    public static SourceNode Parse(string text, bool lenient = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text.StartsWith('\uFEFF') ? text[1..] : text);
        if (bytes.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new SourceJsonException("the file is empty; a fleet.json is a JSON object", 1, 1);
        }

        var lines = new LineTable(bytes);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = lenient ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow, AllowTrailingCommas = lenient });
        try
        {
            reader.Read();
            var root = ReadValue(ref reader, "$", lines);
            if (reader.Read())
            {
                var (line, column) = lines.Position(reader.TokenStartIndex);
                throw new SourceJsonException("unexpected content after the end of the JSON value", line, column);
            }

            return root;
        }
        catch (JsonException ex)
        {
            // The reader's LineNumber and BytePositionInLine are 0-based and in bytes; report 1-based characters.
            var line = (int)(ex.LineNumber ?? 0);
            var bytePosition = (int)(ex.BytePositionInLine ?? 0);
            var column = lines.CharacterColumn(line, bytePosition);
            var message = lines.StartsComment(line, bytePosition) ? "comments are not allowed in JSON" : TrimReaderPosition(ex.Message);
            throw new SourceJsonException(message, line + 1, column);
        }
    }

    private static SourceNode ReadValue(ref Utf8JsonReader reader, string path, LineTable lines)
    {
        var (line, column) = lines.Position(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var properties = new List<SourceProperty>();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    var (keyLine, keyColumn) = lines.Position(reader.TokenStartIndex);
                    reader.Read();
                    properties.Add(new SourceProperty(name, keyLine, keyColumn, ReadValue(ref reader, JsonPaths.Property(path, name), lines)));
                }

                return new SourceObject(path, line, column, properties);
            case JsonTokenType.StartArray:
                var items = new List<SourceNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, $"{path}[{items.Count}]", lines));
                }

                return new SourceArray(path, line, column, items);
            case JsonTokenType.String:
                var s = reader.GetString()!;
                return new SourceValue(path, line, column, JsonValueKind.String, JsonValue.Create(s), JsonSerializer.Serialize(s, SourceJsonContext.Default.String));
            case JsonTokenType.Number:
                var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                return new SourceValue(path, line, column, JsonValueKind.Number, JsonNode.Parse(raw), raw);
            case JsonTokenType.True:
                return new SourceValue(path, line, column, JsonValueKind.True, JsonValue.Create(true), "true");
            case JsonTokenType.False:
                return new SourceValue(path, line, column, JsonValueKind.False, JsonValue.Create(false), "false");
            default:
                return new SourceValue(path, line, column, JsonValueKind.Null, null, "null");
        }
    }

    private static string TrimReaderPosition(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = cut >= 0 ? message[..cut] : message;
        return text.TrimEnd('.', ' ');
    }

    /// <summary>Byte offset → 1-based line and character column.</summary>
    private sealed class LineTable
    {
        private readonly byte[] _bytes;
        private readonly List<int> _lineStarts = [0];

        public LineTable(byte[] bytes)
        {
            _bytes = bytes;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == (byte)'\n')
                {
                    _lineStarts.Add(i + 1);
                }
            }
        }

        public (int Line, int Column) Position(long byteOffset)
        {
            var index = _lineStarts.BinarySearch((int)byteOffset);
            var line = index >= 0 ? index : ~index - 1;
            return (line + 1, CharacterColumn(line, (int)byteOffset - _lineStarts[line]));
        }

        /// <summary>True when <c>//</c> or <c>/*</c> starts at a 0-based byte position in a 0-based line.</summary>
        public bool StartsComment(int line, int bytePositionInLine)
        {
            var at = line < _lineStarts.Count ? _lineStarts[line] + bytePositionInLine : -1;
            return at >= 0 && at + 1 < _bytes.Length && _bytes[at] == (byte)'/' && _bytes[at + 1] is (byte)'/' or (byte)'*';
        }

        /// <summary>1-based character column of a 0-based byte position in a 0-based line.</summary>
        public int CharacterColumn(int line, int bytePositionInLine)
        {
            if (line >= _lineStarts.Count)
            {
                return bytePositionInLine + 1;
            }

            var start = _lineStarts[line];
            var length = Math.Clamp(bytePositionInLine, 0, _bytes.Length - start);
            return Encoding.UTF8.GetCharCount(_bytes, start, length) + 1;
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class SourceJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
