using System.Globalization;
using System.Text;
using Fleet.Streams;

namespace Fleet.Tests.Streams;

/// <summary>
/// CodexStreamReader over every real codex 0.169.0 <c>exec --json</c> capture. Expected facts read off the
/// captures by hand; costs worked out by hand at gpt-5-codex prices ($1.25 / $0.125 cached / $10 per 1M):
/// e.g. CX_B: (2005−1600)×1.25 + 1600×0.125 + 40×10 = 1106.25 µ$ → 0.00110625.
/// </summary>
public class CodexCaptureTests
{
    private const string CxB = "01a1fff9-84ac-7691-b84a-693f1c306221";

    // name, thread id, cost at gpt-5-codex, is_error, result kind, turns, uncached input, output
    public static TheoryData<string, string, string?, bool, string, int, long?, long?> Expected => new()
    {
        { "CX_A", "01a1fff9-73c8-79d2-99dc-92c82320b005", "0.00055125", false, "completed", 1, 201, 20 },
        { "CX_B", CxB, "0.00110625", false, "completed", 1, 405, 40 },
        { "CX_C", "01a1fff9-87be-77a0-ab85-c90211616088", "0.00111125", false, "completed", 1, 409, 40 },
        { "CX_D", "01a1fff9-8b2f-7f70-93d2-b9b2c76894ae", null, true, "failed", 1, null, null },
        { "CX_E", "01a1fff9-8f6d-7750-a66a-34b1aec18ba4", null, true, "failed", 1, null, null },
        // Without a baseline the resumed run's cumulative 4024/3200/80 is all counted: 824×1.25 + 3200×0.125 + 80×10.
        { "CX_F", CxB, "0.00223", false, "completed", 1, 824, 80 },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void A_codex_capture_yields_exactly_the_facts_its_events_state(
        string name, string threadId, string? cost, bool isError, string resultKind, int turns, long? input, long? output)
    {
        var path = Captures.Codex(name);
        var reader = Captures.Feed(new CodexStreamReader("gpt-5-codex"), path);
        reader.Complete(Captures.ExitCode(path));
        var s = reader.Summary;

        s.SessionId.ShouldBe(threadId);
        s.CostUsd.ShouldBe(cost is null ? null : decimal.Parse(cost, CultureInfo.InvariantCulture));
        s.IsError.ShouldBe(isError);
        s.ResultKind.ShouldBe(resultKind);
        s.Turns.ShouldBe(turns);
        s.InputTokens.ShouldBe(input);
        s.OutputTokens.ShouldBe(output);
        s.MalformedLines.ShouldBe(0);
    }

    [Fact]
    public void Every_codex_capture_on_disk_has_expected_facts()
    {
        _ = Captures.Dir;
        var expected = Expected.Select(row => row.Data.Item1).ToHashSet();
        Captures.CodexNames.ShouldBe(expected.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void A_resumed_thread_costs_only_its_delta_over_the_previous_runs_cumulative_usage()
    {
        var previous = Captures.Feed(new CodexStreamReader("gpt-5-codex"), Captures.Codex("CX_B")).Summary;
        var baseline = new CodexBaseline(previous.SessionId, previous.CumulativeUsage!);

        var s = Captures.Feed(new CodexStreamReader("gpt-5-codex", baseline: baseline), Captures.Codex("CX_F")).Summary;

        s.SessionId.ShouldBe(CxB);
        s.CumulativeUsage.ShouldBe(new CodexUsage(4024, 3200, 0, 80, 20));
        // 4024−2005 = 2019 input of which 3200−1600 = 1600 cached; 80−40 = 40 output.
        s.InputTokens.ShouldBe(419);
        s.CachedInputTokens.ShouldBe(1600);
        s.OutputTokens.ShouldBe(40);
        s.CostUsd.ShouldBe(0.00112375m); // 419×1.25 + 1600×0.125 + 40×10 = 1123.75 µ$
        s.Notes.ShouldBeEmpty();
    }

    [Fact]
    public void The_delta_of_two_constructed_snapshots_is_priced_and_the_new_total_is_reported()
    {
        var baseline = new CodexBaseline("t1", new CodexUsage(10_000, 6_000, 0, 1_000, 200));
        var reader = new CodexStreamReader("gpt-5.2", baseline: baseline);

        Feed(reader,
            """{"type":"thread.started","thread_id":"t1"}""",
            """{"type":"turn.started"}""",
            """{"type":"turn.completed","usage":{"input_tokens":25000,"cached_input_tokens":16000,"output_tokens":3000,"reasoning_output_tokens":900}}""");

        var s = reader.Summary;
        // delta: input 15000 (cached 10000, uncached 5000), output 2000; gpt-5.2 $1.75 / $0.175 / $14
        s.InputTokens.ShouldBe(5_000);
        s.CachedInputTokens.ShouldBe(10_000);
        s.OutputTokens.ShouldBe(2_000);
        s.CostUsd.ShouldBe(0.0385m); // 5000×1.75 + 10000×0.175 + 2000×14 = 8750 + 1750 + 28000 = 38500 µ$
        s.CumulativeUsage.ShouldBe(new CodexUsage(25_000, 16_000, 0, 3_000, 900));
    }

    [Fact]
    public void Duplicate_cumulative_snapshots_never_double_count()
    {
        const string Snapshot = """{"type":"turn.completed","usage":{"input_tokens":2005,"cached_input_tokens":1600,"output_tokens":40}}""";
        var once = new CodexStreamReader("gpt-5-codex");
        var twice = new CodexStreamReader("gpt-5-codex");

        Feed(once, """{"type":"thread.started","thread_id":"t"}""", Snapshot);
        Feed(twice, """{"type":"thread.started","thread_id":"t"}""", Snapshot, Snapshot, Snapshot);

        twice.Summary.InputTokens.ShouldBe(405);
        twice.Summary.OutputTokens.ShouldBe(40);
        twice.Summary.CostUsd.ShouldBe(once.Summary.CostUsd);
    }

    [Fact]
    public void Successive_snapshots_within_one_run_take_the_latest_total_not_the_sum()
    {
        var reader = new CodexStreamReader("gpt-5-codex");
        Feed(reader,
            """{"type":"turn.completed","usage":{"input_tokens":1000,"cached_input_tokens":0,"output_tokens":10}}""",
            """{"type":"turn.completed","usage":{"input_tokens":3000,"cached_input_tokens":0,"output_tokens":30}}""");

        reader.Summary.InputTokens.ShouldBe(3000);
        reader.Summary.OutputTokens.ShouldBe(30);
    }

    [Fact]
    public void A_baseline_from_another_thread_is_ignored_with_a_note()
    {
        var baseline = new CodexBaseline("some-other-thread", new CodexUsage(2005, 1600, 0, 40, 10));
        var s = Captures.Feed(new CodexStreamReader("gpt-5-codex", baseline: baseline), Captures.Codex("CX_F")).Summary;

        s.InputTokens.ShouldBe(824);
        s.Notes.ShouldHaveSingleItem().ShouldContain("baseline ignored");
    }

    [Fact]
    public void A_baseline_larger_than_the_reported_total_is_ignored_with_a_note()
    {
        var baseline = new CodexBaseline(null, new CodexUsage(9_999, 0, 0, 0, 0));
        var s = Captures.Feed(new CodexStreamReader("gpt-5-codex", baseline: baseline), Captures.Codex("CX_B")).Summary;

        s.InputTokens.ShouldBe(405);
        s.Notes.ShouldHaveSingleItem().ShouldContain("baseline exceeds");
    }

    [Fact]
    public void An_unknown_model_gives_no_cost_and_a_note_instead_of_a_guess()
    {
        var s = Captures.Feed(new CodexStreamReader("stub-model"), Captures.Codex("CX_A")).Summary;

        s.CostUsd.ShouldBeNull();
        s.InputTokens.ShouldBe(201);
        s.Notes.ShouldBe(["no price for model 'stub-model' in the price table: cost not computed"]);
    }

    [Fact]
    public void No_model_at_all_gives_no_cost_and_a_note()
    {
        var s = Captures.Feed(new CodexStreamReader(null), Captures.Codex("CX_A")).Summary;

        s.CostUsd.ShouldBeNull();
        s.Notes.ShouldBe(["model unknown: cost not computed"]);
    }

    [Fact]
    public void A_failed_turn_fails_the_run_with_the_apis_own_message()
    {
        var path = Captures.Codex("CX_D");
        var reader = Captures.Feed(new CodexStreamReader("gpt-5-codex"), path);

        reader.Summary.IsError.ShouldBeTrue();
        reader.Summary.Failure.ShouldBe(StreamFailure.TurnFailed);
        reader.Summary.ErrorText.ShouldBe("stub: bad request");
    }

    [Fact]
    public void Warning_error_items_do_not_fail_a_run()
    {
        var reader = new CodexStreamReader("gpt-5-codex");
        var events = Captures.Lines(Captures.Codex("CX_A")).SelectMany(l => reader.Read(l)).ToList();
        reader.Complete(0);

        events.OfType<ItemEvent>().Select(i => i.Item).OfType<ErrorItem>().ShouldHaveSingleItem()
            .Message.ShouldStartWith("Model metadata for `stub-model` not found.");
        reader.Summary.IsError.ShouldBeFalse();
        reader.Summary.Failure.ShouldBe(StreamFailure.None);
    }

    [Fact]
    public void A_top_level_error_event_alone_fails_the_run()
    {
        var reader = new CodexStreamReader("gpt-5-codex");
        Feed(reader, """{"type":"thread.started","thread_id":"t"}""", """{"type":"error","message":"stream disconnected"}""");

        reader.Summary.IsError.ShouldBeTrue();
        reader.Summary.Failure.ShouldBe(StreamFailure.StreamError);
        reader.Summary.ErrorText.ShouldBe("stream disconnected");
    }

    [Fact]
    public void A_non_zero_exit_after_a_completed_turn_fails_the_run()
    {
        var reader = Captures.Feed(new CodexStreamReader("gpt-5-codex"), Captures.Codex("CX_A"));
        reader.Summary.IsError.ShouldBeFalse();

        reader.Complete(137);

        reader.Summary.IsError.ShouldBeTrue();
        reader.Summary.Failure.ShouldBe(StreamFailure.ExitCode);
        reader.Summary.ErrorText.ShouldBe("exit code 137");
    }

    [Fact]
    public void A_command_execution_item_carries_command_exit_code_status_and_output()
    {
        var reader = new CodexStreamReader("gpt-5-codex");
        var items = Captures.Lines(Captures.Codex("CX_B")).SelectMany(l => reader.Read(l)).OfType<ItemEvent>().ToList();

        var started = items.First(i => i.Item is CommandExecutionItem);
        started.Phase.ShouldBe(ItemPhase.Started);
        ((CommandExecutionItem)started.Item).Status.ShouldBe("in_progress");
        ((CommandExecutionItem)started.Item).ExitCode.ShouldBeNull();

        var done = items.Last(i => i.Item is CommandExecutionItem);
        done.Phase.ShouldBe(ItemPhase.Completed);
        done.Item.ShouldBe(new CommandExecutionItem("item_1", "/bin/bash -lc 'echo stub-hello'", 0, "completed", "stub-hello\n"));
    }

    [Fact]
    public void A_file_change_item_lists_its_paths_and_kinds()
    {
        var events = new List<AgentEvent>();
        CodexStreamParser.TryParse(
            """{"type":"item.completed","item":{"id":"item_4","type":"file_change","changes":[{"path":"src/a.cs","kind":"update"},{"path":"b.md","kind":"add"}],"status":"completed"}}"""u8,
            events).ShouldBeTrue();

        var change = events.ShouldHaveSingleItem().ShouldBeOfType<ItemEvent>().Item.ShouldBeOfType<FileChangeItem>();
        change.Changes.ShouldBe([new FileChange("src/a.cs", "update"), new FileChange("b.md", "add")]);
    }

    private static void Feed(CodexStreamReader reader, params string[] lines)
    {
        foreach (var line in lines)
            reader.Accept(Encoding.UTF8.GetBytes(line));
    }
}
