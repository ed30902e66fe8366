using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

/// <summary>
/// Rules that test the prompt (<c>when_prompt_contains</c>, <c>when_prompt_lacks</c>): the prompt is the real user
/// prompt the call's position counts from, read from the request as each CLI sends it.
/// </summary>
public class RehearsalPromptConditionTests
{
    private const string Script = """
        { "rules": [
            { "worker": "builder", "when_prompt_lacks": "the answer is: staging", "turns": [
                { "type": "text", "text": "Which environment?" } ] },
            { "worker": "builder", "when_prompt_contains": "URGENT", "turns": [
                { "type": "text", "text": "On it, urgently." } ] },
            { "worker": "builder", "turns": [
                { "type": "text", "text": "Deploying to staging as the doctrine says." } ] } ] }
        """;

    private static RehearsalKey Builder => RehearsalKey.Create("demo", "builder", 1);

    [Theory]
    [InlineData("Build it.", 0)]
    [InlineData(null, 0)]
    [InlineData("Build it.\n- If you would ask \"Which environment?\", the answer is: staging", 2)]
    [InlineData("URGENT: build it. If you would ask, the answer is: staging", 1)]
    [InlineData("urgent: build it; the answer is: staging", 2)]
    public void The_first_rule_whose_prompt_condition_holds_wins(string? prompt, int expectedRule)
    {
        var script = RehearsalScript.Parse(Script);

        script.Find(Builder, RehearsalProvider.Claude, prompt).ShouldBeSameAs(script.Rules[expectedRule]);
    }

    [Fact]
    public void A_rule_with_a_prompt_condition_is_skipped_when_the_caller_knows_no_prompt_and_it_must_contain_one()
    {
        var script = RehearsalScript.Parse("""{ "rules": [ { "when_prompt_contains": "x", "turns": [ { "type": "text", "text": "a" } ] } ] }""");

        script.Find(Builder, RehearsalProvider.Codex).ShouldBeNull();
        script.Find(Builder, RehearsalProvider.Codex, "has x").ShouldBeSameAs(script.Rules[0]);
    }

    [Theory]
    [InlineData("""{ "rules": [ { "when_prompt_lacks": "", "turns": [ { "type": "text", "text": "a" } ] } ] }""", "$.rules[0].when_prompt_lacks: empty")]
    [InlineData("""{ "rules": [ { "when_prompt_contains": 3, "turns": [ { "type": "text", "text": "a" } ] } ] }""", "$.rules[0].when_prompt_contains: expected a string")]
    [InlineData("""{ "rules": [ { "when_prompt_lack": "x", "turns": [ { "type": "text", "text": "a" } ] } ] }""", "did you mean 'when_prompt_lacks'?")]
    public void A_bad_prompt_condition_is_refused_with_its_json_path(string json, string expected)
    {
        Should.Throw<RehearsalScriptException>(() => RehearsalScript.Parse(json)).Message.ShouldContain(expected);
    }

    [Fact]
    public void The_anthropic_prompt_is_the_text_of_the_last_user_message_that_is_not_a_tool_result()
    {
        var c = RehearsalConversation.FromAnthropic(JsonDocument.Parse("""
            { "model": "m", "messages": [
                { "role": "user", "content": "iteration 1 brief" },
                { "role": "assistant", "content": [ { "type": "text", "text": "ok" } ] },
                { "role": "user", "content": [ { "type": "text", "text": "<system-reminder>r</system-reminder>" }, { "type": "text", "text": "iteration 2 brief" } ] },
                { "role": "assistant", "content": [ { "type": "tool_use", "id": "t1", "name": "Bash", "input": {} } ] },
                { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "t1", "content": "tool output" } ] } ] }
            """).RootElement);

        c.Prompt.ShouldBe("<system-reminder>r</system-reminder>\niteration 2 brief");
        c.Position.ShouldBe(1);
    }

    [Fact]
    public void The_openai_prompt_is_the_last_user_message_and_never_codexs_environment_context()
    {
        var c = RehearsalConversation.FromOpenAI(JsonDocument.Parse("""
            { "model": "m", "input": [
                { "type": "message", "role": "developer", "content": [ { "type": "input_text", "text": "rules" } ] },
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "the brief" } ] },
                { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "<environment_context>\n  <cwd>/tmp/cx</cwd>\n</environment_context>" } ] },
                { "type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}" },
                { "type": "function_call_output", "call_id": "c1", "output": "ok" } ] }
            """).RootElement);

        c.Prompt.ShouldBe("the brief");
        c.Cwd.ShouldBe("/tmp/cx");
    }

    [Fact]
    public async Task The_real_claude_gets_the_rule_its_brief_selects()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-prompt-claude-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        async Task<string?> RunAsync(string prompt)
        {
            var env = RehearsalEnvironment.For(RehearsalProvider.Claude, server.BaseUrl, Builder.ToString(), dir.Path);
            var run = await AgentCli.RunAsync(claude, ["-p", "--output-format", "stream-json", "--verbose", "--model", "claude-sonnet-4-5", prompt], work, env, dir.Combine("home"));
            run.ExitCode.ShouldBe(0, run.ToString());
            return run.Result.GetProperty("result").GetString();
        }

        (await RunAsync("Deploy the service.")).ShouldBe("Which environment?");
        (await RunAsync("Deploy the service.\n\n## Doctrine\n- If you would ask \"Which environment?\", the answer is: staging")).ShouldBe("Deploying to staging as the doctrine says.");
    }

    [Fact]
    public async Task The_real_codex_gets_the_rule_its_prompt_selects_not_one_its_environment_context_would()
    {
        var codex = AgentCli.RequireOrSkip("codex");
        using var dir = new TempDir("fleet-prompt-codex-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        async Task<string> RunAsync(string prompt)
        {
            var env = RehearsalEnvironment.For(RehearsalProvider.Codex, server.BaseUrl, Builder.ToString(), dir.Path);
            var last = dir.Combine("last-message.txt");
            var run = await AgentCli.RunAsync(codex, ["exec", "--json", "--skip-git-repo-check", "-C", work, "-s", "workspace-write", "-o", last, prompt], work, env, dir.Combine("home"));
            run.ExitCode.ShouldBe(0, run.ToString());
            return File.ReadAllText(last).Trim();
        }

        (await RunAsync("URGENT: deploy; the answer is: staging")).ShouldBe("On it, urgently.");
        (await RunAsync("Deploy the service.")).ShouldBe("Which environment?");
    }
}
