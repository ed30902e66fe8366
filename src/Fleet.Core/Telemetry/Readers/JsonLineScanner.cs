using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// The part of <see cref="Utf8JsonReader"/> the readers' line scans use, over one complete line that is already
/// valid UTF-8: the same tokens, the same validation (RFC 8259, no comments, no trailing commas, the same
/// nesting limit), the same answers from <see cref="ValueTextEquals"/>, <see cref="GetString"/> and
/// <see cref="TryGetInt64"/>. It exists for speed: a transcript's big values are tool outputs full of
/// escapes (<c>\n</c>, <c>\"</c>), which <see cref="Utf8JsonReader"/> validates a byte at a time once it meets
/// the first one; this scanner jumps from quote or backslash to the next with a vectorized search. Rare
/// cases (an escaped key or value that must be compared or decoded) are handed to <see cref="Utf8JsonReader"/>.
/// Throws <see cref="JsonException"/> where <see cref="Utf8JsonReader"/> would. Every member that runs per token is
/// compiled optimized at once or inlined into such code: a cold ingest is over before most methods tier up, and
/// unoptimized calls to these helpers cost more than the scanning itself.
/// </summary>
internal ref struct JsonLineScanner
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxDepth;
    private int _pos;
    private int _depth;
    private bool _done;
    private bool _escaped;
    private int _valueStart;
    private int _valueLength;

    // One bit per open container (1: object), up to 256 deep.
    private ulong _stack0;
    private ulong _stack1;
    private ulong _stack2;
    private ulong _stack3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public JsonLineScanner(ReadOnlySpan<byte> data, int maxDepth)
    {
        if (maxDepth > 256)
            throw new ArgumentOutOfRangeException(nameof(maxDepth), maxDepth, "at most 256");
        _data = data;
        _maxDepth = maxDepth;
        TokenType = JsonTokenType.None;
    }

    public JsonTokenType TokenType { get; private set; }

    /// <summary>The current string's or property name's raw (still escaped) bytes, or a number's text.</summary>
    public readonly ReadOnlySpan<byte> ValueSpan
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _data.Slice(_valueStart, _valueLength);
    }

    /// <summary>True when the current string or property name holds an escape (<see cref="ValueSpan"/> is not its text).</summary>
    public readonly bool ValueIsEscaped => _escaped;

    /// <summary>The current string as written, quotes included (what <c>JsonMarshal.GetRawUtf8Value</c> gives for a string element).</summary>
    public readonly ReadOnlySpan<byte> QuotedValueSpan
    {
        get
        {
            RequireText();
            return _data.Slice(_valueStart - 1, _valueLength + 2);
        }
    }

    /// <summary>Moves to the next token; false at the end of the line after a complete value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Read()
    {
        SkipWhitespace();
        if (_done)
        {
            if (_pos < _data.Length)
                throw Error("text after the end of the JSON value");
            return false;
        }

        if (_pos >= _data.Length)
            throw Error("the line ends inside a JSON value");

        var b = _data[_pos];
        switch (TokenType)
        {
            case JsonTokenType.None:
                ReadValue(b);
                return true;
            case JsonTokenType.StartObject:
                if (b == (byte)'}')
                {
                    EndContainer(JsonTokenType.EndObject);
                    return true;
                }

                ReadPropertyName(b);
                return true;
            case JsonTokenType.StartArray:
                if (b == (byte)']')
                {
                    EndContainer(JsonTokenType.EndArray);
                    return true;
                }

                ReadValue(b);
                return true;
            case JsonTokenType.PropertyName:
                ReadValue(b);
                return true;
            default:
                // After a value inside a container: a separator, or the container's end.
                var inObject = InObject();
                if (b == (byte)',')
                {
                    _pos++;
                    SkipWhitespace();
                    if (_pos >= _data.Length)
                        throw Error("the line ends after a comma");
                    if (inObject)
                        ReadPropertyName(_data[_pos]);
                    else
                        ReadValue(_data[_pos]);
                    return true;
                }

                if (b == (byte)(inObject ? '}' : ']'))
                {
                    EndContainer(inObject ? JsonTokenType.EndObject : JsonTokenType.EndArray);
                    return true;
                }

                throw Error("expected a comma or the end of the container");
        }
    }

    /// <summary>As <see cref="Utf8JsonReader.Skip"/>: from a property name, to its value; from a start, to its end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Skip()
    {
        if (TokenType == JsonTokenType.PropertyName)
            Read();
        if (TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            var depth = _depth;
            while (_depth >= depth)
                Read();
        }
    }

    /// <summary>True when the current string or property name, unescaped, is <paramref name="utf8"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> utf8)
    {
        RequireText();
        if (!_escaped)
            return ValueSpan.SequenceEqual(utf8);
        var reader = Quoted();
        return reader.ValueTextEquals(utf8);
    }

    /// <summary>The current string or property name, unescaped.</summary>
    public readonly string? GetString()
    {
        RequireText();
        if (!_escaped)
            return Encoding.UTF8.GetString(ValueSpan);
        var reader = Quoted();
        return reader.GetString();
    }

    /// <summary>The current number as a long, when it is an integer that fits (the same rule as <see cref="Utf8JsonReader.TryGetInt64"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool TryGetInt64(out long value)
    {
        if (TokenType != JsonTokenType.Number)
            throw new InvalidOperationException($"the current token is {TokenType}, not a number");
        if (Utf8Parser.TryParse(ValueSpan, out long parsed, out var consumed) && consumed == _valueLength)
        {
            value = parsed;
            return true;
        }

        value = 0;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void RequireText()
    {
        if (TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            throw new InvalidOperationException($"the current token is {TokenType}, not text");
    }

    /// <summary>A <see cref="Utf8JsonReader"/> on the current (escaped) string, quotes included, for its unescaping rules.</summary>
    private readonly Utf8JsonReader Quoted()
    {
        var reader = new Utf8JsonReader(_data.Slice(_valueStart - 1, _valueLength + 2));
        reader.Read();
        return reader;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SkipWhitespace()
    {
        // Transcripts are written compact: the next byte is almost never whitespace.
        if (_pos < _data.Length && _data[_pos] > (byte)' ')
            return;
        while (_pos < _data.Length && _data[_pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            _pos++;
    }

    /// <summary>
    /// The index of the first quote, backslash or control character in <paramref name="text"/>, or -1: what ends a run
    /// of plain string bytes. Its own vector loop, compiled optimized at once: the generic searches this replaces ran as
    /// unoptimized code for much of a short process's life.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int IndexOfStringStop(ReadOnlySpan<byte> text)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var quote = Vector256.Create((byte)'"');
            var backslash = Vector256.Create((byte)'\\');
            var space = Vector256.Create((byte)' ');
            ref var start = ref MemoryMarshal.GetReference(text);
            for (; i + Vector256<byte>.Count <= text.Length; i += Vector256<byte>.Count)
            {
                var block = Vector256.LoadUnsafe(ref start, (nuint)i);
                var stops = Vector256.Equals(block, quote) | Vector256.Equals(block, backslash) | Vector256.LessThan(block, space);
                if (stops != Vector256<byte>.Zero)
                    return i + BitOperations.TrailingZeroCount(stops.ExtractMostSignificantBits());
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var quote = Vector128.Create((byte)'"');
            var backslash = Vector128.Create((byte)'\\');
            var space = Vector128.Create((byte)' ');
            ref var start = ref MemoryMarshal.GetReference(text);
            for (; i + Vector128<byte>.Count <= text.Length; i += Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref start, (nuint)i);
                var stops = Vector128.Equals(block, quote) | Vector128.Equals(block, backslash) | Vector128.LessThan(block, space);
                if (stops != Vector128<byte>.Zero)
                    return i + BitOperations.TrailingZeroCount(stops.ExtractMostSignificantBits());
            }
        }

        for (; i < text.Length; i++)
        {
            if (text[i] is (byte)'"' or (byte)'\\' or < (byte)' ')
                return i;
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadPropertyName(byte b)
    {
        if (b != (byte)'"')
            throw Error("expected a property name");
        ReadString();
        TokenType = JsonTokenType.PropertyName;
        SkipWhitespace();
        if (_pos >= _data.Length || _data[_pos] != (byte)':')
            throw Error("expected a colon after a property name");
        _pos++;
        SkipWhitespace();
        if (_pos >= _data.Length)
            throw Error("the line ends after a property name");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadValue(byte b)
    {
        switch (b)
        {
            case (byte)'"':
                ReadString();
                TokenType = JsonTokenType.String;
                break;
            case (byte)'{':
                StartContainer(true);
                TokenType = JsonTokenType.StartObject;
                break;
            case (byte)'[':
                StartContainer(false);
                TokenType = JsonTokenType.StartArray;
                break;
            case (byte)'t':
                ReadLiteral("true"u8, JsonTokenType.True);
                break;
            case (byte)'f':
                ReadLiteral("false"u8, JsonTokenType.False);
                break;
            case (byte)'n':
                ReadLiteral("null"u8, JsonTokenType.Null);
                break;
            default:
                ReadNumber();
                break;
        }

        if (_depth == 0)
            _done = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadString()
    {
        var start = ++_pos;
        _escaped = false;
        while (true)
        {
            var stop = IndexOfStringStop(_data[_pos..]);
            if (stop < 0)
                throw Error("the line ends inside a string");
            _pos += stop;
            var b = _data[_pos];
            if (b == (byte)'"')
                break;
            if (b != (byte)'\\')
                throw Error("a control character inside a string");
            _escaped = true;
            if (_pos + 1 >= _data.Length)
                throw Error("the line ends inside an escape");
            switch (_data[_pos + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    _pos += 2;
                    break;
                case (byte)'u':
                    if (_pos + 6 > _data.Length)
                        throw Error("the line ends inside an escape");
                    for (var i = _pos + 2; i < _pos + 6; i++)
                    {
                        if (!char.IsAsciiHexDigit((char)_data[i]))
                            throw Error("an invalid \\u escape");
                    }

                    _pos += 6;
                    break;
                default:
                    throw Error("an invalid escape");
            }
        }

        _valueStart = start;
        _valueLength = _pos - start;
        _pos++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadLiteral(ReadOnlySpan<byte> literal, JsonTokenType type)
    {
        if (!_data[_pos..].StartsWith(literal))
            throw Error("an invalid literal");
        _valueStart = _pos;
        _valueLength = literal.Length;
        _pos += literal.Length;
        RequireDelimiter();
        TokenType = type;
    }

    // RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadNumber()
    {
        var start = _pos;
        if (_data[_pos] == (byte)'-')
            _pos++;
        if (_pos >= _data.Length)
            throw Error("an invalid number");
        if (_data[_pos] == (byte)'0')
            _pos++;
        else if (_data[_pos] is >= (byte)'1' and <= (byte)'9')
            Digits();
        else
            throw Error("an invalid value");

        if (_pos < _data.Length && _data[_pos] == (byte)'.')
        {
            _pos++;
            if (Digits() == 0)
                throw Error("an invalid number");
        }

        if (_pos < _data.Length && _data[_pos] is (byte)'e' or (byte)'E')
        {
            _pos++;
            if (_pos < _data.Length && _data[_pos] is (byte)'+' or (byte)'-')
                _pos++;
            if (Digits() == 0)
                throw Error("an invalid number");
        }

        _valueStart = start;
        _valueLength = _pos - start;
        RequireDelimiter();
        TokenType = JsonTokenType.Number;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Digits()
    {
        var start = _pos;
        while (_pos < _data.Length && char.IsAsciiDigit((char)_data[_pos]))
            _pos++;
        return _pos - start;
    }

    // A number or literal must end at whitespace, a separator, a container's end, or the end of the line.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void RequireDelimiter()
    {
        if (_pos < _data.Length && _data[_pos] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',' or (byte)'}' or (byte)']'))
            throw Error("an invalid end of a value");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StartContainer(bool isObject)
    {
        if (_depth >= _maxDepth)
            throw Error("nested too deep");
        var bit = 1UL << (_depth & 63);
        ref var word = ref Word(_depth >> 6);
        word = isObject ? word | bit : word & ~bit;
        _depth++;
        _pos++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EndContainer(JsonTokenType type)
    {
        _depth--;
        _pos++;
        TokenType = type;
        if (_depth == 0)
            _done = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool InObject() => (Word((_depth - 1) >> 6) & (1UL << ((_depth - 1) & 63))) != 0;

    [UnscopedRef]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong Word(int index)
    {
        switch (index)
        {
            case 0:
                return ref _stack0;
            case 1:
                return ref _stack1;
            case 2:
                return ref _stack2;
            default:
                return ref _stack3;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly JsonException Error(string what) => new($"invalid JSON at byte {_pos}: {what}");
}
