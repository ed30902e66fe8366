using Fleet.Streams;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Streams;

public class StreamRendererTests
{
    [Theory]
    [InlineData("B_bash_default")]
    [InlineData("D_multi_maxturns")]
    [InlineData("E_err400")]
    [InlineData("H_allowed")]
    [InlineData("L_budget")]
    [InlineData("M_overloaded")]
    public void The_readable_view_of_a_claude_capture_matches_its_golden_file(string name)
    {
        var path = Captures.Claude(name);
        var reader = new ClaudeStreamReader();
        var lines = Captures.Lines(path).SelectMany(l => reader.Read(l)).SelectMany(e => StreamRenderer.Render(e)).ToList();

        Golden.Match(string.Join('\n', lines) + "\n", $"claude-{name}.txt");
    }

    [Theory]
    [InlineData("CX_B")]
    [InlineData("CX_D")]
    public void The_readable_view_of_a_codex_capture_matches_its_golden_file(string name)
    {
        var path = Captures.Codex(name);
        var reader = new CodexStreamReader("gpt-5-codex");
        var lines = Captures.Lines(path).SelectMany(l => reader.Read(l)).SelectMany(e => StreamRenderer.Render(e)).ToList();
        reader.Complete(Captures.ExitCode(path));
        lines.Add(StreamRenderer.RenderSummary(reader.Summary));

        Golden.Match(string.Join('\n', lines) + "\n", $"codex-{name}.txt");
    }

    [Fact]
    public void A_tool_call_reads_as_its_name_and_the_telling_part_of_its_input()
    {
        var events = new List<AgentEvent>();
        ClaudeStreamParser.TryParse(
            """{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"npm test","description":"Run tests"}}]}}"""u8,
            events);

        StreamRenderer.Render(events.ShouldHaveSingleItem()).ShouldBe(["▸ Bash: npm test"]);
    }

    [Fact]
    public void A_successful_result_reads_as_done_with_turns_and_cost()
    {
        var result = Result(isError: false, subtype: "success", turns: 3, cost: 0.0123m);

        StreamRenderer.Render(result).ShouldBe(["✓ done in 3 turns, $0.0123"]);
    }

    [Fact]
    public void A_failed_result_reads_as_failed_with_its_reason()
    {
        var result = Result(isError: true, subtype: "error_max_budget_usd", turns: 1, cost: 0.5m, errors: ["Reached maximum budget ($0.5)"]);

        StreamRenderer.Render(result).ShouldBe(["✗ failed: max budget: Reached maximum budget ($0.5) · 1 turn, $0.50"]);
    }

    [Fact]
    public void Long_assistant_text_is_cut_to_the_width_and_to_a_few_lines()
    {
        var text = new string('x', 500) + "\n" + string.Join('\n', Enumerable.Range(1, 10).Select(i => $"line {i}"));

        var lines = StreamRenderer.Render(new AssistantText(text, null), width: 80);

        lines.Count.ShouldBe(StreamRenderer.MaxTextLines + 1);
        lines[0].Length.ShouldBe(80);
        lines[0].ShouldEndWith("…");
        lines[^1].ShouldBe("… (+7 more lines)");
    }

    [Fact]
    public void Cutting_never_splits_a_character_made_of_several_code_units()
    {
        var line = StreamRenderer.Cut(string.Concat(Enumerable.Repeat("👍", 30)), 21);

        line.ShouldBe(string.Concat(Enumerable.Repeat("👍", 20)) + "…");
    }

    [Theory]
    [InlineData("/bin/bash -lc 'npm test'", "npm test")]
    [InlineData("/bin/bash -lc \"make -j2\"", "make -j2")]
    [InlineData("git status", "git status")]
    [InlineData("/bin/bash -lc 'cat <<EOF\nx\nEOF'", "cat <<EOF …")]
    public void Codex_commands_are_shown_without_their_login_shell_wrapper(string command, string shown) =>
        StreamRenderer.Unwrap(command).ShouldBe(shown);

    [Fact]
    public void A_failed_command_shows_its_exit_code_and_last_output_line()
    {
        var e = new ItemEvent(ItemPhase.Completed, new CommandExecutionItem("item_1", "/bin/bash -lc 'npm test'", 1, "failed", "running\n3 tests failed\n"));

        StreamRenderer.Render(e).ShouldBe(["  ✗ exit 1: 3 tests failed"]);
    }

    [Fact]
    public void Successful_tool_results_and_reasoning_add_no_noise()
    {
        StreamRenderer.Render(new ToolResult("t1", false, "ok")).ShouldBeEmpty();
        StreamRenderer.Render(new ItemEvent(ItemPhase.Completed, new ReasoningItem("item_1", "thinking"))).ShouldBeEmpty();
        StreamRenderer.Render(new ItemEvent(ItemPhase.Completed, new CommandExecutionItem("item_2", "ls", 0, "completed", "a\n"))).ShouldBeEmpty();
    }

    [Fact]
    public void A_codex_summary_with_an_unknown_price_says_why_the_cost_is_missing()
    {
        var reader = Captures.Feed(new CodexStreamReader("stub-model"), Captures.Codex("CX_A"));
        reader.Complete(0);

        StreamRenderer.RenderSummary(reader.Summary)
            .ShouldBe("✓ done in 1 turn, cost unknown (no price for model 'stub-model' in the price table: cost not computed)");
    }

    private static ClaudeResult Result(bool isError, string subtype, int turns, decimal cost, string[]? errors = null) =>
        new(null, subtype, isError, errors ?? [], cost, new Dictionary<string, ModelUsage>(), null, turns, 1000, 500, null, null, null, []);
}
