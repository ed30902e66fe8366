using System.Globalization;
using Fleet.Streams;

namespace Fleet.Tests.Streams;

/// <summary>
/// ClaudeStreamReader over every real claude 2.1.197 stream capture. The expected facts were read off the
/// captures by hand (result line: session_id, total_cost_usd, is_error, subtype, num_turns; tokens summed
/// over modelUsage), not taken from the reader's output.
/// </summary>
public class ClaudeCaptureTests
{
    private const string B = "11111111-0000-4000-8000-00000000000b";

    // name, session id, cost (as written in the capture), is_error, subtype, num_turns, input, output (the exit code comes from NAME.rc)
    public static TheoryData<string, string?, string?, bool, string?, int?, long?, long?> Expected => new()
    {
        { "A_text", "f5ef1271-d270-41b0-a923-c0c626ef9de4", "0.0008085000000000002", false, "success", 1, 102, 17 },
        { "B_bash_default", B, "0.0016260000000000003", false, "success", 2, 207, 34 },
        { "C_ask", "11111111-0000-4000-8000-00000000000c", "0.0016380000000000001", false, "success", 2, 211, 34 },
        { "D_multi_maxturns", "11111111-0000-4000-8000-00000000000d", "0.0008235", true, "error_max_turns", 2, 107, 17 },
        { "E_err400", "11111111-0000-4000-8000-00000000000e", "0", true, "success", 1, 0, 0 },
        { "F_bash_skip", "11111111-0000-4000-8000-00000000000f", "0.00168", false, "success", 3, 225, 34 },
        { "G_json", "11111111-0000-4000-8000-000000000010", "0.0008295000000000002", false, "success", 1, 109, 17 },
        { "H_allowed", "11111111-0000-4000-8000-000000000011", "0.0016680000000000002", false, "success", 3, 221, 34 },
        { "I_acceptedits", "11111111-0000-4000-8000-000000000012", "0.0016920000000000004", false, "success", 2, 229, 34 },
        { "J_resume", B, "0.0017040000000000002", false, "success", 2, 233, 34 },
        { "K_partial", "11111111-0000-4000-8000-000000000013", "0.0008565000000000001", false, "success", 1, 118, 17 },
        // usage is all zeros on this result; modelUsage has the real counts.
        { "L_budget", "11111111-0000-4000-8000-000000000014", "0.0008595", true, "error_max_budget_usd", 1, 119, 17 },
        { "M_overloaded", "11111111-0000-4000-8000-000000000015", "0", true, "success", 1, 0, 0 },
        // empty stdout: claude refused the flags (exit 1, message on stderr only).
        { "noverbose", null, null, true, null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void A_claude_capture_yields_exactly_the_facts_its_result_line_states(
        string name, string? sessionId, string? cost, bool isError, string? resultKind, int? turns, long? input, long? output)
    {
        var path = Captures.Claude(name);
        var reader = Captures.Feed(new ClaudeStreamReader(), path);
        reader.Complete(Captures.ExitCode(path));
        var s = reader.Summary;

        s.SessionId.ShouldBe(sessionId);
        s.CostUsd.ShouldBe(cost is null ? null : decimal.Parse(cost, CultureInfo.InvariantCulture));
        s.IsError.ShouldBe(isError);
        s.ResultKind.ShouldBe(resultKind);
        s.Turns.ShouldBe(turns);
        s.InputTokens.ShouldBe(input);
        s.OutputTokens.ShouldBe(output);
        s.MalformedLines.ShouldBe(0);
    }

    [Fact]
    public void Every_claude_capture_on_disk_has_expected_facts()
    {
        _ = Captures.Dir;
        var expected = Expected.Select(row => row.Data.Item1).ToHashSet();
        Captures.ClaudeNames.ShouldBeSubsetOf(expected);
        Captures.ClaudeNames.Count.ShouldBe(expected.Count);
    }

    [Fact]
    public void Is_error_decides_failure_even_when_subtype_says_success()
    {
        var s = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("E_err400")).Summary;

        s.ResultKind.ShouldBe("success");
        s.IsError.ShouldBeTrue();
        s.Failure.ShouldBe(StreamFailure.ApiError);
        s.ApiErrorStatus.ShouldBe(400);
        s.ErrorText.ShouldBe("API Error: 400 stub: prompt rejected");
    }

    [Fact]
    public void The_synthetic_api_error_message_becomes_an_api_error_event_not_assistant_text()
    {
        var reader = new ClaudeStreamReader();
        var events = Captures.Lines(Captures.Claude("E_err400")).SelectMany(l => reader.Read(l)).ToList();

        events.OfType<AssistantText>().ShouldBeEmpty();
        var error = events.OfType<ApiError>().ShouldHaveSingleItem();
        error.Status.ShouldBe(400);
        error.Kind.ShouldBe("unknown");
        events.OfType<PartialUsage>().ShouldBeEmpty();
    }

    [Fact]
    public void A_budget_exceeded_run_fails_with_a_reason_that_reads_max_budget()
    {
        var s = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("L_budget")).Summary;

        s.IsError.ShouldBeTrue();
        s.Failure.ShouldBe(StreamFailure.MaxBudget);
        s.ErrorText.ShouldBe("max budget: Reached maximum budget ($0.0001)");
        s.CostUsd.ShouldBe(0.0008595m);
    }

    [Fact]
    public void Tokens_come_from_model_usage_when_the_result_usage_is_zero()
    {
        var s = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("L_budget")).Summary;

        s.ModelUsage.ShouldNotBeNull().Keys.ShouldBe(["claude-sonnet-4-5"]);
        s.ModelUsage["claude-sonnet-4-5"].CostUsd.ShouldBe(0.0008595m);
        s.InputTokens.ShouldBe(119);
        s.CachedInputTokens.ShouldBe(200);
        s.CacheCreationInputTokens.ShouldBe(50);
    }

    [Fact]
    public void Max_turns_fails_with_a_reason_that_reads_max_turns_and_lists_the_denied_tool()
    {
        var s = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("D_multi_maxturns")).Summary;

        s.Failure.ShouldBe(StreamFailure.MaxTurns);
        s.ErrorText.ShouldBe("max turns: Reached maximum number of turns (1)");
        s.PermissionDenials.ShouldBe(["Write"]);
    }

    [Fact]
    public void An_overloaded_api_counts_the_retry_and_fails_as_an_api_error()
    {
        var s = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("M_overloaded")).Summary;

        s.ApiRetries.ShouldBe(1);
        s.ApiErrorStatus.ShouldBe(529);
        s.Failure.ShouldBe(StreamFailure.ApiError);
        s.ErrorText.ShouldNotBeNull().ShouldStartWith("API Error: 529 stub: overloaded.");
    }

    [Fact]
    public void A_resumed_session_keeps_its_id_and_reports_only_its_own_cost()
    {
        var first = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("B_bash_default")).Summary;
        var resumed = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("J_resume")).Summary;

        resumed.SessionId.ShouldBe(first.SessionId);
        // 2.1.197 does not fold the prior run into the resumed result: 0.0017040… is this run alone, not 0.0016260… + it.
        resumed.CostUsd.ShouldBe(0.0017040000000000002m);
        resumed.CostUsd!.Value.ShouldBeLessThan(first.CostUsd!.Value * 2);
    }

    [Fact]
    public void The_session_id_is_known_as_soon_as_init_arrives()
    {
        var reader = new ClaudeStreamReader();
        var init = Captures.Lines(Captures.Claude("A_text"))[0];

        var events = reader.Read(init);

        reader.SessionId.ShouldBe("f5ef1271-d270-41b0-a923-c0c626ef9de4");
        reader.Summary.SessionId.ShouldBe("f5ef1271-d270-41b0-a923-c0c626ef9de4");
        var started = events.OfType<SessionStarted>().ShouldHaveSingleItem();
        started.Model.ShouldBe("claude-sonnet-4-5");
        started.PermissionMode.ShouldBe("default");
        started.Cwd.ShouldBe("/home/dev/demo/work");
        started.Tools.Count.ShouldBe(24);
        started.Tools.ShouldContain("Bash");
        reader.Summary.ResultKind.ShouldBeNull();
    }

    [Fact]
    public void Per_block_assistant_usage_is_never_taken_as_the_runs_usage_or_cost()
    {
        var reader = new ClaudeStreamReader();
        var lines = Captures.Lines(Captures.Claude("D_multi_maxturns"));
        foreach (var line in lines.SkipLast(1))
            reader.Accept(line);

        reader.Summary.CostUsd.ShouldBeNull();
        reader.Summary.InputTokens.ShouldBeNull();
        reader.Summary.OutputTokens.ShouldBeNull();

        reader.Accept(lines[^1]);
        // Two blocks of msg_stub_0007 each said output_tokens:1; the result says 17.
        reader.Summary.OutputTokens.ShouldBe(17);
    }

    [Fact]
    public void The_two_tool_calls_of_one_message_and_their_results_are_separate_events()
    {
        var reader = new ClaudeStreamReader();
        var events = Captures.Lines(Captures.Claude("D_multi_maxturns")).SelectMany(l => reader.Read(l)).ToList();

        events.OfType<ToolCall>().Select(c => (c.Name, c.Id, c.InputSummary)).ShouldBe(
        [
            ("Bash", "toolu_stub_7_0", "echo stub-hello"),
            ("Write", "toolu_stub_7_1", "/home/dev/demo/work/stub.txt"),
        ]);
        events.OfType<ToolResult>().Select(r => (r.ToolUseId, r.IsError)).ShouldBe([("toolu_stub_7_0", false), ("toolu_stub_7_1", true)]);
        events.OfType<PartialUsage>().Select(u => u.MessageId).ShouldBe(["msg_stub_0007", "msg_stub_0007"]);
    }

    [Fact]
    public void Partial_message_stream_events_are_ignored_without_counting_as_malformed()
    {
        var reader = new ClaudeStreamReader();
        var events = Captures.Lines(Captures.Claude("K_partial")).SelectMany(l => reader.Read(l)).ToList();

        events.OfType<AssistantText>().Select(t => t.Text).ShouldBe(["Stub answer: hello."]);
        reader.Summary.MalformedLines.ShouldBe(0);
    }

    [Fact]
    public void A_stream_that_ends_without_a_result_fails_once_the_exit_code_is_known()
    {
        var reader = new ClaudeStreamReader();
        reader.Summary.IsError.ShouldBeFalse();

        reader.Complete(1);

        reader.Summary.IsError.ShouldBeTrue();
        reader.Summary.Failure.ShouldBe(StreamFailure.NoResult);
        reader.Summary.ErrorText.ShouldBe("no result: the stream ended without a result line (exit code 1)");
    }

    [Fact]
    public void The_result_decides_over_a_disagreeing_exit_code_and_says_so_in_a_note()
    {
        var reader = Captures.Feed(new ClaudeStreamReader(), Captures.Claude("A_text"));
        reader.Complete(1);

        reader.Summary.IsError.ShouldBeFalse();
        reader.Summary.Notes.ShouldHaveSingleItem().ShouldContain("exit code 1 disagrees");
    }
}
