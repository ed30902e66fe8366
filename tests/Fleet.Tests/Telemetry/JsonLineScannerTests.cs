using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Fleet.Telemetry.Readers;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// The line scans' JSON scanner must agree with <see cref="Utf8JsonReader"/> (what <see cref="JsonDocument"/> parses with)
/// on every line: the same verdict (valid or not) and, for valid lines, the same tokens and values.
/// </summary>
public sealed class JsonLineScannerTests
{
    private const int MaxDepth = 256;

    [Fact]
    public void Every_corpus_line_gives_the_same_tokens_as_Utf8JsonReader()
    {
        var lines = CorpusLines().ToList();
        lines.Count.ShouldBeGreaterThan(5000);
        foreach (var line in lines)
            Tokens(line, scanner: true).ShouldBe(Tokens(line, scanner: false), Encoding.UTF8.GetString(line[..Math.Min(200, line.Length)]));
    }

    [Fact]
    public void Every_corpus_line_stepped_over_with_Skip_stops_where_Utf8JsonReader_stops()
    {
        var lines = CorpusLines().ToList();
        lines.Count.ShouldBeGreaterThan(5000);
        foreach (var line in lines)
        {
            foreach (var (every, first) in ((int, int)[])[(1, 0), (2, 0), (2, 1), (3, 1)])
                SkippedTokens(line, scanner: true, every, first).ShouldBe(SkippedTokens(line, scanner: false, every, first), Encoding.UTF8.GetString(line[..Math.Min(200, line.Length)]));
        }
    }

    [Fact]
    public void Mutated_corpus_lines_are_valid_exactly_when_Utf8JsonReader_says_so()
    {
        // Short lines, mutated where JSON is most fragile: structure, escapes, numbers, literals, control bytes.
        var lines = CorpusLines().Where(l => l.Length < 3000).Take(600).ToList();
        var random = new Random(20261122);
        byte[] alphabet = [.. "{}[]\",:\\/ \t0123456789.-+eEtrufalsn"u8, 0x01, 0x1f, (byte)'x'];
        int valid = 0, invalid = 0;
        for (var round = 0; round < 40; round++)
        {
            foreach (var original in lines)
            {
                var line = new List<byte>(original);
                for (var edits = random.Next(1, 3); edits > 0 && line.Count > 0; edits--)
                {
                    var at = random.Next(line.Count);
                    switch (random.Next(4))
                    {
                        case 0:
                            line.RemoveAt(at);
                            break;
                        case 1:
                            line.Insert(at, alphabet[random.Next(alphabet.Length)]);
                            break;
                        case 2:
                            line[at] = alphabet[random.Next(alphabet.Length)];
                            break;
                        default:
                            line.RemoveRange(at, line.Count - at);
                            break;
                    }
                }

                var bytes = line.ToArray();
                if (!Utf8.IsValid(bytes))
                    continue; // the scanner's precondition: TranscriptFile rejects such lines first
                var expected = Tokens(bytes, scanner: false);
                Tokens(bytes, scanner: true).ShouldBe(expected, Encoding.UTF8.GetString(bytes));
                var (every, first) = (1 + (round % 3), round % 2);
                SkippedTokens(bytes, scanner: true, every, first).ShouldBe(SkippedTokens(bytes, scanner: false, every, first), Encoding.UTF8.GetString(bytes));
                if (expected[0] == "invalid")
                    invalid++;
                else
                    valid++;
            }
        }

        valid.ShouldBeGreaterThan(1000);
        invalid.ShouldBeGreaterThan(1000);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData(" { } ")]
    [InlineData("{\"a\":[]}")]
    [InlineData("{\"a\":[1,2,[3,{}]],\"b\":{\"c\":null}}")]
    [InlineData("{\"a\":-0,\"b\":0.5e-3,\"c\":2E+5,\"d\":-12.25,\"e\":9223372036854775807,\"f\":9223372036854775808,\"g\":1.0}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":1.}")]
    [InlineData("{\"a\":-}")]
    [InlineData("{\"a\":1e+}")]
    [InlineData("{\"a\":.5}")]
    [InlineData("{\"a\":+1}")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{\"a\":nulll}")]
    [InlineData("{\"a\":true\"b\":1}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{\"a\":[1,]}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{,\"a\":1}")]
    [InlineData("{\"a\":1}}")]
    [InlineData("{\"a\":{\"b\":[1,2,}]}}")]
    [InlineData("{\"a\":[{\"b\":1},]}")]
    [InlineData("{\"a\":{\"b\" 1}}")]
    [InlineData("{\"a\":{\"b\":tru}}")]
    [InlineData("{\"a\":[[[]]],\"b\":{\"c\":{}},\"d\":[]}")]
    [InlineData("{\"a\":[1 2]}")]
    [InlineData("{\"a\":{\"b\":1,}}")]
    [InlineData("{\"a\":{,}}")]
    [InlineData("{\"a\":[1,{\"b\":\"\\u00zz\"}]}")]
    [InlineData("{\"a\":{\"b\":[1]]}}")]
    [InlineData("{\"a\":[1}")]
    [InlineData("{\"a\":{\"b\":1]}")]
    [InlineData("{\"a\":{\"b\":1}")]
    [InlineData("{\"a\":[")]
    [InlineData("{\"a\":{\"b\":")]
    [InlineData("{\"a\":{\"b\":1,")]
    [InlineData("{\"a\":[0x1]}")]
    [InlineData("{\"a\":[1.5e3,-0,true,false,null,\"\\\"]\"]}")]
    [InlineData(" { \"a\" : [ 1 , { \"b\" : null } ] , \"c\" : { } } ")]
    [InlineData("{\"a\":{\"b\":\"x\"}}{}")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{\"a\":1}{}")]
    [InlineData("{\"a\":1")]
    [InlineData("{\"a\":\"x")]
    [InlineData("{\"a\":\"\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\"}")]
    [InlineData("{\"\\u0061\":\"\\ud83d\\ude00\"}")]
    [InlineData("{\"a\":\"\\uZZZZ\"}")]
    [InlineData("{\"a\":\"\\u00\"}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{\"a\":\"tab\there\"}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1 /* no */}")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("12")]
    [InlineData("")]
    public void Edge_cases_give_the_same_tokens_as_Utf8JsonReader(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Tokens(bytes, scanner: true).ShouldBe(Tokens(bytes, scanner: false));
        for (var every = 1; every <= 3; every++)
            SkippedTokens(bytes, scanner: true, every, 0).ShouldBe(SkippedTokens(bytes, scanner: false, every, 0));
    }

    [Fact]
    public void Escapes_and_stops_at_every_offset_across_vector_blocks_give_the_same_tokens_as_Utf8JsonReader()
    {
        // The string scan walks 32-byte (or 16-byte) blocks: put each escape, valid or not, at every offset around those
        // boundaries, with every amount of text after it, and end the line in different ways.
        string[] escapes =
        [
            "\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t", "\\u00e9", "\\u0041", "\\ud83d\\ude00", "\\\\\\\"\\\\",
            "\\\"\\\"\\\"", "\\\\\\\\", "\\u00", "\\u00\"", "\\uZZZZ", "\\u12G4", "\\x", "\\ ", "\\\u0001", "\u0001", "\u001f", "\t", "\n", "\u007f", "é", "😀",
        ];
        string[] endings = ["\"}", "\",\"b\":\"x\\\"y\"}", "\"", "", "\\"];
        var cases = 0;
        foreach (var escape in escapes)
        {
            for (var before = 0; before <= 70; before++)
            {
                foreach (var after in (int[])[0, 1, 2, 5, 15, 16, 31, 32, 33, 40])
                {
                    foreach (var ending in endings)
                    {
                        var json = "{\"a\":\"" + new string('p', before) + escape + new string('q', after) + ending;
                        var bytes = Encoding.UTF8.GetBytes(json);
                        Tokens(bytes, scanner: true).ShouldBe(Tokens(bytes, scanner: false), json);
                        cases++;
                    }
                }
            }
        }

        cases.ShouldBeGreaterThan(10000);
    }

    [Fact]
    public void Every_prefix_of_a_line_full_of_escapes_gets_the_same_verdict_as_Utf8JsonReader()
    {
        var json = "{\"output\":\"" + string.Concat(Enumerable.Range(0, 40).Select(i => new string('x', i % 37) + (i % 3 == 0 ? "\\n" : i % 3 == 1 ? "\\\"" : "\\u00e9"))) + "\",\"n\":[1,{\"k\":\"\\\\\"}]}";
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var length = 0; length <= bytes.Length; length++)
            Tokens(bytes[..length], scanner: true).ShouldBe(Tokens(bytes[..length], scanner: false), json[..Math.Min(length, json.Length)]);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    public void Nesting_is_limited_at_the_same_depth(int depth)
    {
        var json = Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth));
        var objects = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1));
        Tokens(json, scanner: true).ShouldBe(Tokens(json, scanner: false));
        Tokens(objects, scanner: true).ShouldBe(Tokens(objects, scanner: false));
        Tokens(json, scanner: true)[^1].ShouldBe(depth <= MaxDepth ? "end" : "invalid");
        SkippedTokens(json, scanner: true, 1, 1).ShouldBe(SkippedTokens(json, scanner: false, 1, 1));
        SkippedTokens(objects, scanner: true, 1, 1).ShouldBe(SkippedTokens(objects, scanner: false, 1, 1));
    }

    [Fact]
    public void Skip_steps_over_a_property_value_or_a_container_as_Utf8JsonReader_does()
    {
        var json = """{"a":{"b":[1,{"c":"\n"}]},"d":[true],"e":"x","f":2}"""u8;
        var scanner = new JsonLineScanner(json, MaxDepth);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var seen = new List<string>();
        scanner.Read().ShouldBe(reader.Read());
        while (scanner.Read() && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            scanner.TokenType.ShouldBe(reader.TokenType);
            seen.Add(scanner.GetString()!);
            scanner.Skip();
            reader.Skip();
            scanner.TokenType.ShouldBe(reader.TokenType);
        }

        seen.ShouldBe(["a", "d", "e", "f"]);
        scanner.TokenType.ShouldBe(JsonTokenType.EndObject);
        scanner.Read().ShouldBeFalse();
    }

    private static IEnumerable<byte[]> CorpusLines()
    {
        foreach (var file in Directory.EnumerateFiles(Corpus.Dir, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                if (line.Length > 0)
                    yield return Encoding.UTF8.GetBytes(line);
            }
        }
    }

    /// <summary>Every token with its value (strings and names decoded and compared both ways), then "end"; or just "invalid".</summary>
    private static List<string> Tokens(byte[] line, bool scanner)
    {
        var tokens = new List<string>();
        try
        {
            if (scanner)
            {
                var s = new JsonLineScanner(line, MaxDepth);
                while (s.Read())
                    tokens.Add(Describe(s.TokenType, s.TokenType is JsonTokenType.String or JsonTokenType.PropertyName ? s.GetString() : null, s.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(s.ValueSpan) : null, s.TokenType == JsonTokenType.Number && s.TryGetInt64(out var n) ? n : null, s.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && s.ValueTextEquals("a"u8)));
            }
            else
            {
                var r = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth });
                while (r.Read())
                    tokens.Add(Describe(r.TokenType, r.TokenType is JsonTokenType.String or JsonTokenType.PropertyName ? r.GetString() : null, r.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(r.ValueSpan) : null, r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var n) ? n : null, r.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && r.ValueTextEquals("a"u8)));
                if (r.CurrentDepth != 0 || tokens.Count == 0)
                    throw new JsonException("incomplete"); // a final block that ends early reads as invalid
            }

            tokens.Add("end");
        }
        catch (JsonException)
        {
            // Where in the line the error is raised may differ (after a literal, or at the next token); the scans act
            // only on a line read to its end, so the verdict is what must agree.
            return ["invalid"];
        }
        catch (InvalidOperationException e)
        {
            tokens.Add("decode error: " + e.GetType().Name); // an escape that is valid JSON but not valid UTF-16 (both throw on decoding)
        }

        return tokens;
    }

    /// <summary>
    /// The tokens a scan sees when it steps over values with Skip: at every <paramref name="every"/>-th token that is a
    /// property name or a start (counting from <paramref name="first"/>), Skip, then the token it stopped at; or "invalid".
    /// </summary>
    private static List<string> SkippedTokens(byte[] line, bool scanner, int every, int first)
    {
        var tokens = new List<string>();
        var n = first;
        try
        {
            if (scanner)
            {
                var s = new JsonLineScanner(line, MaxDepth);
                while (s.Read())
                {
                    tokens.Add($"{s.TokenType}");
                    if (s.TokenType is JsonTokenType.PropertyName or JsonTokenType.StartObject or JsonTokenType.StartArray && n++ % every == 0)
                    {
                        s.Skip();
                        tokens.Add($"skip {s.TokenType}");
                    }
                }
            }
            else
            {
                var r = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth });
                while (r.Read())
                {
                    tokens.Add($"{r.TokenType}");
                    if (r.TokenType is JsonTokenType.PropertyName or JsonTokenType.StartObject or JsonTokenType.StartArray && n++ % every == 0)
                    {
                        r.Skip();
                        tokens.Add($"skip {r.TokenType}");
                    }
                }

                if (r.CurrentDepth != 0 || tokens.Count == 0)
                    throw new JsonException("incomplete");
            }

            tokens.Add("end");
        }
        catch (JsonException)
        {
            return ["invalid"];
        }

        return tokens;
    }

    private static string Describe(JsonTokenType type, string? text, string? number, long? integer, bool isA) =>
        string.Create(CultureInfo.InvariantCulture, $"{type} {text} {number} {integer} {isA}");
}
