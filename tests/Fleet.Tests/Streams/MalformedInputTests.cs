using System.Text;
using Fleet.Streams;

namespace Fleet.Tests.Streams;

/// <summary>Bad input is counted, never fatal, and never spoils the facts of the good lines around it.</summary>
public class MalformedInputTests
{
    public static TheoryData<string> MalformedLines => new()
    {
        "not json at all",
        """{"type":"result","subtype":"succ""",        // truncated mid-string
        """{"type":"assistant","message":{"content":[""", // truncated mid-object
        "[1,2,3]",                                       // JSON, but not an object
        "42",
        "\"a string\"",
        """{"type":"turn.started"}{"type":"turn.started"}""", // two objects on one line
        "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"x\"", // no closing brace
    };

    [Theory]
    [MemberData(nameof(MalformedLines))]
    public void A_malformed_line_is_counted_by_the_claude_reader_and_yields_no_events(string line)
    {
        var reader = new ClaudeStreamReader();

        var events = reader.Read(Encoding.UTF8.GetBytes(line));

        events.ShouldBeEmpty();
        reader.Summary.MalformedLines.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(MalformedLines))]
    public void A_malformed_line_is_counted_by_the_codex_reader_and_yields_no_events(string line)
    {
        var reader = new CodexStreamReader("gpt-5-codex");

        var events = reader.Read(Encoding.UTF8.GetBytes(line));

        events.ShouldBeEmpty();
        reader.Summary.MalformedLines.ShouldBe(1);
    }

    [Fact]
    public void Invalid_utf8_bytes_are_counted_as_malformed_not_thrown_on_later()
    {
        var reader = new ClaudeStreamReader();
        reader.Accept([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        reader.Accept([.. """{"type":"assistant","message":{"content":[{"type":"text","text":"a"""u8, 0xFF, .. "\"}]}}"u8]);

        reader.Summary.MalformedLines.ShouldBe(2);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r")]
    public void Blank_lines_are_neither_events_nor_malformed(string line)
    {
        var reader = new ClaudeStreamReader();
        reader.Read(Encoding.UTF8.GetBytes(line)).ShouldBeEmpty();
        reader.Summary.MalformedLines.ShouldBe(0);
    }

    [Fact]
    public void A_crlf_line_and_a_byte_order_mark_are_tolerated()
    {
        var reader = new CodexStreamReader("gpt-5-codex");
        reader.Accept([0xEF, 0xBB, 0xBF, .. """{"type":"thread.started","thread_id":"t-bom"}"""u8, (byte)'\r']);

        reader.Summary.MalformedLines.ShouldBe(0);
        reader.ThreadId.ShouldBe("t-bom");
    }

    [Fact]
    public void Malformed_and_truncated_lines_between_real_lines_leave_the_real_facts_intact()
    {
        var lines = Captures.Lines(Captures.Claude("B_bash_default"));
        var reader = new ClaudeStreamReader();
        foreach (var line in lines)
        {
            reader.Accept("garbage"u8);
            reader.Accept(line.AsSpan(0, line.Length / 2)); // the same line cut in half
            reader.Accept(line);
        }

        var s = reader.Summary;
        s.MalformedLines.ShouldBe(lines.Count * 2);
        s.SessionId.ShouldBe("11111111-0000-4000-8000-00000000000b");
        s.CostUsd.ShouldBe(0.0016260000000000003m);
        s.Turns.ShouldBe(2);
        s.IsError.ShouldBeFalse();
    }

    [Fact]
    public void A_capture_cut_off_mid_result_line_counts_one_malformed_line_and_has_no_result()
    {
        var bytes = File.ReadAllBytes(Captures.Claude("A_text"));
        var cut = bytes.AsSpan(0, bytes.Length - 200).ToArray(); // inside the result line
        var reader = new ClaudeStreamReader();
        foreach (var line in Encoding.UTF8.GetString(cut).Split('\n'))
            reader.Accept(Encoding.UTF8.GetBytes(line));
        reader.Complete(143);

        var s = reader.Summary;
        s.MalformedLines.ShouldBe(1);
        s.SessionId.ShouldBe("f5ef1271-d270-41b0-a923-c0c626ef9de4");
        s.ResultKind.ShouldBeNull();
        s.CostUsd.ShouldBeNull();
        s.Failure.ShouldBe(StreamFailure.NoResult);
    }

    [Theory]
    [InlineData("""{"type":"brand_new_event","payload":{"x":1}}""")]
    [InlineData("""{"type":"system","subtype":"something_new","session_id":"s"}""")]
    [InlineData("""{"type":"rate_limit_event","rate_limit_info":{}}""")]
    [InlineData("""{"no_type_at_all":true}""")]
    [InlineData("""{"type":42}""")]
    public void Unknown_claude_event_types_are_ignored_and_not_counted_as_malformed(string line)
    {
        var reader = new ClaudeStreamReader();

        reader.Read(Encoding.UTF8.GetBytes(line)).ShouldBeEmpty();

        reader.Summary.MalformedLines.ShouldBe(0);
        reader.Summary.ResultKind.ShouldBeNull();
    }

    [Theory]
    [InlineData("""{"type":"item.plan.delta","item_id":"item_1","delta":"x"}""")]
    [InlineData("""{"type":"request_user_input","id":"1","questions":[]}""")]
    [InlineData("""{"type":"something.new"}""")]
    public void Unknown_codex_event_types_are_ignored_and_not_counted_as_malformed(string line)
    {
        var reader = new CodexStreamReader("gpt-5-codex");

        reader.Read(Encoding.UTF8.GetBytes(line)).ShouldBeEmpty();

        reader.Summary.MalformedLines.ShouldBe(0);
    }

    [Fact]
    public void An_unknown_codex_item_type_is_kept_as_an_other_item()
    {
        var reader = new CodexStreamReader("gpt-5-codex");

        var events = reader.Read("""{"type":"item.completed","item":{"id":"item_9","type":"collab_tool_call","tool":"spawn_agent"}}"""u8);

        events.ShouldHaveSingleItem().ShouldBeOfType<ItemEvent>().Item.ShouldBe(new OtherItem("item_9", "collab_tool_call"));
    }

    [Fact]
    public void Fields_of_the_wrong_shape_are_treated_as_absent_rather_than_thrown_on()
    {
        var reader = new ClaudeStreamReader();
        reader.Accept("""{"type":"result","subtype":7,"is_error":"yes","num_turns":"two","total_cost_usd":"1.0","modelUsage":[],"errors":{"a":1},"permission_denials":"none","usage":5}"""u8);

        var s = reader.Summary;
        s.MalformedLines.ShouldBe(0);
        s.ResultKind.ShouldBe("unknown");
        s.IsError.ShouldBeFalse();
        s.Turns.ShouldBeNull();
        s.CostUsd.ShouldBeNull();
    }
}
