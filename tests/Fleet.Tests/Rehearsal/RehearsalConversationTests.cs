using System.Text.Json;
using Fleet.Rehearsal;

namespace Fleet.Tests.Rehearsal;

public class RehearsalConversationTests
{
    private static RehearsalConversation Anthropic(string json) => RehearsalConversation.FromAnthropic(JsonDocument.Parse(json).RootElement);

    private static RehearsalConversation OpenAI(string json) => RehearsalConversation.FromOpenAI(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void An_anthropic_position_counts_assistant_messages_since_the_last_prompt_that_is_not_a_tool_result()
    {
        var c = Anthropic("""
            { "model": "claude-sonnet-4-5", "stream": true,
              "system": [ { "type": "text", "text": "x\n - Primary working directory: /tmp/w d\n - Is a git repository: false" } ],
              "messages": [
                { "role": "user", "content": "first prompt" },
                { "role": "assistant", "content": [ { "type": "text", "text": "a" } ] },
                { "role": "user", "content": [ { "type": "text", "text": "<system-reminder>x</system-reminder>" }, { "type": "text", "text": "second prompt" } ] },
                { "role": "system", "content": "agents list" },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t1", "name": "Read", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t1", "content": "ok" }, { "type": "text", "text": "<system-reminder/>" } ] },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t2", "name": "Edit", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t2", "content": "ok" } ] } ] }
            """);

        c.Position.ShouldBe(2);
        c.Cwd.ShouldBe("/tmp/w d");
        c.Model.ShouldBe("claude-sonnet-4-5");
        c.Stream.ShouldBeTrue();
    }

    [Fact]
    public void An_openai_position_counts_runs_of_model_items_between_tool_outputs_since_the_last_user_message()
    {
        var c = OpenAI("""
            { "model": "gpt-5-codex", "stream": true, "tools": [ { "type": "function", "name": "exec_command" }, { "type": "web_search" } ],
              "input": [
                { "type": "message", "role": "developer", "content": [ { "type": "input_text", "text": "rules" } ] },
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "<environment_context>\n  <cwd>/tmp/cx</cwd>\n</environment_context>" } ] },
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "do it" } ] },
                { "type": "reasoning", "summary": [] },
                { "type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "c1", "output": "ok" },
                { "type": "message", "role": "assistant", "content": [ { "type": "output_text", "text": "next" } ] },
                { "type": "function_call", "call_id": "c2", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "c2", "output": "ok" } ] }
            """);

        c.Position.ShouldBe(2);
        c.Cwd.ShouldBe("/tmp/cx");
        c.ToolNames.ShouldBe(["exec_command", "web_search"]);
    }

    [Fact]
    public void A_scripted_failure_with_times_fails_that_many_calls_at_its_position_then_the_script_goes_on()
    {
        var script = RehearsalScript.Parse("""
            { "rules": [ { "turns": [
                { "type": "fail", "status": 529, "message": "busy", "times": 2 },
                { "type": "text", "text": "after" } ] } ] }
            """);
        var player = new RehearsalPlayer(script);
        var key = RehearsalKey.Create("f", "w", 1);
        var atStart = new RehearsalConversation(0, null, [], "m", true);

        player.Decide(key, RehearsalProvider.Claude, atStart, out _).ShouldBeOfType<FailStep>().Status.ShouldBe(529);
        player.Decide(key, RehearsalProvider.Claude, atStart, out _).ShouldBeOfType<FailStep>();
        player.Decide(key, RehearsalProvider.Claude, atStart, out _).ShouldBeOfType<TextStep>().Text.ShouldBe("after");
        player.Decide(key, RehearsalProvider.Claude, atStart with { Position = 1 }, out var outcome).ShouldBeOfType<TextStep>();
        outcome.ShouldBe("script exhausted");
    }

    [Fact]
    public void An_edit_for_claude_reads_the_file_first_and_for_codex_is_an_apply_patch_through_its_shell_tool()
    {
        var key = RehearsalKey.Create("f", "w", 4);
        var edit = new EditFileTurn("src/{worker}.txt", "old", "new");
        var claude = RehearsalPlayer.Expand(edit, key, RehearsalProvider.Claude, new RehearsalConversation(0, "/work", [], "m", true)).Cast<ToolStep>().ToList();
        var codex = RehearsalPlayer.Expand(edit, key, RehearsalProvider.Codex, new RehearsalConversation(0, "/work", ["exec_command"], "m", true)).Cast<ToolStep>().ToList();

        claude.Select(s => s.Name).ShouldBe(["Read", "Edit"]);
        claude[1].Input["file_path"]!.GetValue<string>().ShouldBe("/work/src/w.txt");
        codex.ShouldHaveSingleItem().Name.ShouldBe("exec_command");
        codex[0].Input["cmd"]!.GetValue<string>().ShouldBe("apply_patch <<'FLEET_PATCH'\n*** Begin Patch\n*** Update File: src/w.txt\n@@\n-old\n+new\n*** End Patch\nFLEET_PATCH");
    }

    [Fact]
    public void A_codex_write_is_a_printf_that_keeps_the_bytes_exactly()
    {
        RehearsalPlayer.WriteCommand("a b/it's.txt", "x'y\n%s\n").ShouldBe("mkdir -p 'a b' && printf '%s' 'x'\\''y\n%s\n' > 'a b/it'\\''s.txt'");
    }
}
