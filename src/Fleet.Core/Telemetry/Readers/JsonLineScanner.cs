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
            SkipContainer();
    }

    /// <summary>
    /// From a start token to its end token, validating as <see cref="Read"/> does but without stopping at each token:
    /// the values a scan steps over (tool inputs and results, patches, file contents) are most of a line's tokens, and
    /// <see cref="Read"/>'s dispatch on the previous token cost more per token than reading it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipContainer()
    {
        var data = _data;
        var floor = _depth - 1; // the depth once this container is closed
        var inObject = TokenType == JsonTokenType.StartObject;
        byte b;

    // Just after an opening bracket: the container's end, or its first member.
    Contents:
        SkipWhitespace();
        if (_pos >= data.Length)
            throw Error("the line ends inside a JSON value");
        if (data[_pos] == (inObject ? (byte)'}' : (byte)']'))
            goto Close;

    // At a member's first byte: its name and colon in an object, then its value.
    Member:
        if (inObject)
            ReadPropertyName(data[_pos]);
        switch (data[_pos])
        {
            case (byte)'{':
                StartContainer(true);
                inObject = true;
                goto Contents;
            case (byte)'[':
                StartContainer(false);
                inObject = false;
                goto Contents;
            default:
                ReadScalar(data[_pos]);
                break;
        }

    // After a value: a separator, or the end of the container it is in.
    After:
        SkipWhitespace();
        if (_pos >= data.Length)
            throw Error("the line ends inside a JSON value");
        b = data[_pos];
        if (b == (byte)',')
        {
            _pos++;
            SkipWhitespace();
            if (_pos >= data.Length)
                throw Error("the line ends after a comma");
            goto Member;
        }

        if (b != (inObject ? (byte)'}' : (byte)']'))
            throw Error("expected a comma or the end of the container");

    Close:
        _depth--;
        _pos++;
        if (_depth == floor)
        {
            TokenType = inObject ? JsonTokenType.EndObject : JsonTokenType.EndArray;
            if (_depth == 0)
                _done = true;
            return;
        }

        inObject = InObject();
        goto After;
    }

    /// <summary>True when the current string or property name, unescaped, is <paramref name="utf8"/>.</summary>
    // Inlined at every key comparison of a line scan (a dozen per line): only the unescaped case is, a length check and a
    // comparison the JIT unrolls for a constant; the escaped case and the error are calls, so a scan with many
    // comparisons stays within the JIT's inlining budget and its frame small.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> utf8)
    {
        RequireText();
        return _escaped ? EscapedTextEquals(utf8) : ValueSpan.SequenceEqual(utf8);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly bool EscapedTextEquals(ReadOnlySpan<byte> utf8)
    {
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
            ThrowNotNumber(TokenType);
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
            ThrowNotText(TokenType);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotText(JsonTokenType type) => throw new InvalidOperationException($"the current token is {type}, not text");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotNumber(JsonTokenType type) => throw new InvalidOperationException($"the current token is {type}, not a number");

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
            case (byte)'{':
                StartContainer(true);
                TokenType = JsonTokenType.StartObject;
                break;
            case (byte)'[':
                StartContainer(false);
                TokenType = JsonTokenType.StartArray;
                break;
            default:
                ReadScalar(b);
                break;
        }

        if (_depth == 0)
            _done = true;
    }

    /// <summary>A string, literal or number whose first byte, at the current position, is <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReadScalar(byte b)
    {
        switch (b)
        {
            case (byte)'"':
                ReadString();
                TokenType = JsonTokenType.String;
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
    }

    /// <summary>
    /// Reads a string from its opening quote to past its closing quote, validating every escape. One vector loop over
    /// 32-byte blocks (16 without AVX2, a byte at a time for the line's last few bytes) takes each block's mask of
    /// quotes, backslashes and control bytes and walks its bits: an escape is checked and stepped over inside the loop,
    /// and only the closing quote or an error leaves it. Tool outputs are long strings with an escape every few dozen
    /// bytes; leaving the loop at each one and searching again cost more than the search.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadString()
    {
        var start = ++_pos;
        var escaped = false;
        var data = _data;
        var length = data.Length;
        ref var origin = ref MemoryMarshal.GetReference(data);
        var pos = start;
        while (true)
        {
            // The stops in data[pos .. pos + width), one bit each.
            uint mask;
            int width;
            if (Vector256.IsHardwareAccelerated && pos + Vector256<byte>.Count <= length)
            {
                var block = Vector256.LoadUnsafe(ref origin, (nuint)pos);
                mask = (Vector256.Equals(block, Vector256.Create((byte)'"')) | Vector256.Equals(block, Vector256.Create((byte)'\\'))
                    | Vector256.LessThan(block, Vector256.Create((byte)' '))).ExtractMostSignificantBits();
                width = Vector256<byte>.Count;
            }
            else if (Vector128.IsHardwareAccelerated && pos + Vector128<byte>.Count <= length)
            {
                var block = Vector128.LoadUnsafe(ref origin, (nuint)pos);
                mask = (Vector128.Equals(block, Vector128.Create((byte)'"')) | Vector128.Equals(block, Vector128.Create((byte)'\\'))
                    | Vector128.LessThan(block, Vector128.Create((byte)' '))).ExtractMostSignificantBits();
                width = Vector128<byte>.Count;
            }
            else if (pos < length)
            {
                mask = data[pos] is (byte)'"' or (byte)'\\' or < (byte)' ' ? 1u : 0u;
                width = 1;
            }
            else
            {
                _pos = pos;
                throw Error("the line ends inside a string");
            }

            while (mask != 0)
            {
                var at = pos + BitOperations.TrailingZeroCount(mask);
                var b = data[at];
                if (b == (byte)'"')
                {
                    _escaped = escaped;
                    _valueStart = start;
                    _valueLength = at - start;
                    _pos = at + 1;
                    return;
                }

                _pos = at;
                if (b != (byte)'\\')
                    throw Error("a control character inside a string");
                escaped = true;
                var next = AfterEscape(at);
                var skipped = next - pos;
                if (skipped >= width)
                {
                    // The escape ends in a later block: look again from its end.
                    pos = next - width;
                    mask = 0;
                    break;
                }

                mask &= ~0u << skipped; // drop the escape's own bytes (an escaped quote or backslash)
            }

            pos += width;
        }
    }

    /// <summary>The index after the escape whose backslash is at <paramref name="at"/>; throws when it is not a valid one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int AfterEscape(int at)
    {
        if (at + 1 >= _data.Length)
            throw Error("the line ends inside an escape");
        switch (_data[at + 1])
        {
            case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                return at + 2;
            case (byte)'u':
                if (at + 6 > _data.Length)
                    throw Error("the line ends inside an escape");
                for (var i = at + 2; i < at + 6; i++)
                {
                    if (!char.IsAsciiHexDigit((char)_data[i]))
                        throw Error("an invalid \\u escape");
                }

                return at + 6;
            default:
                throw Error("an invalid escape");
        }
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
