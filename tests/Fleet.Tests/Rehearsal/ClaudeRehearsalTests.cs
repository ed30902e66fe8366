using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

/// <summary>The real <c>claude</c> (pinned 2.1.197) against the rehearsal endpoint.</summary>
public class ClaudeRehearsalTests
{
    // claude-sonnet-4-5 list prices per million tokens, as Claude Code prices them (agent-clis.md §5.1):
    // input $3, output $15, 5-minute cache write $3.75 (1.25x), cache read $0.30 (0.1x).
    private const string Model = "claude-sonnet-4-5";

    private const string Script = """
        { "rules": [
            { "worker": "builder", "iteration": 1, "turns": [
                { "type": "write_file", "path": "out/hello.txt", "content": "hello from the rehearsal\nline two\n",
                  "usage": { "input_tokens": 1000, "output_tokens": 200, "cache_creation_input_tokens": 500, "cache_read_input_tokens": 3000 } },
                { "type": "text", "text": "Wrote out/hello.txt.",
                  "usage": { "input_tokens": 1200, "output_tokens": 100, "cache_read_input_tokens": 3500 } } ] },
            { "worker": "builder", "iteration": 2, "turns": [
                { "type": "edit_file", "path": "out/hello.txt", "old_string": "line two", "new_string": "line two, edited on resume" },
                { "type": "text", "text": "Second pass done." } ] },
            { "worker": "flaky", "turns": [
                { "type": "fail", "status": 529, "message": "rehearsal: overloaded once", "times": 1 },
                { "type": "text", "text": "Recovered after a retry." } ] },
            { "worker": "trespasser", "turns": [
                { "type": "write_file", "path": "{cwd}/../outside/secret.txt", "content": "should not be written\n" },
                { "type": "text", "text": "Tried." } ] },
            { "worker": "rejected", "turns": [
                { "type": "fail", "status": 400, "message": "rehearsal: prompt rejected by the script" } ] } ] }
        """;

    private static decimal SonnetCost(long input, long output, long cacheWrite, long cacheRead) =>
        ((input * 3m) + (output * 15m) + (cacheWrite * 3.75m) + (cacheRead * 0.30m)) / 1_000_000m;

    private static Task<AgentRunResult> RunClaudeAsync(string claude, RehearsalServer server, RehearsalKey key, TempDir dir, string work, params string[] args)
    {
        var env = RehearsalEnvironment.For(RehearsalProvider.Claude, server.BaseUrl, key.ToString(), dir.Path);
        string[] argv = ["-p", "--output-format", "stream-json", "--verbose", "--model", Model, .. args];
        return AgentCli.RunAsync(claude, argv, work, env, dir.Combine("home"));
    }

    [Fact]
    public async Task Claude_writes_the_scripted_file_through_its_Write_tool_and_reports_the_cost_the_scripted_usage_implies()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-rehearsal-claude-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();
        var session = Guid.NewGuid().ToString();

        var run = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "builder", 1), dir, work,
            "--session-id", session, "--permission-mode", "acceptEdits", "Write the hello file.");

        run.ExitCode.ShouldBe(0, run.ToString());
        File.ReadAllText(Path.Combine(work, "out", "hello.txt")).ShouldBe("hello from the rehearsal\nline two\n");
        var toolUse = run.Events.Where(e => e.GetProperty("type").GetString() == "assistant")
            .SelectMany(e => e.GetProperty("message").GetProperty("content").EnumerateArray())
            .Single(b => b.GetProperty("type").GetString() == "tool_use");
        toolUse.GetProperty("name").GetString().ShouldBe("Write");
        var result = run.Result;
        result.GetProperty("is_error").GetBoolean().ShouldBeFalse();
        result.GetProperty("session_id").GetString().ShouldBe(session);
        result.GetProperty("num_turns").GetInt32().ShouldBe(2);
        result.GetProperty("result").GetString().ShouldBe("Wrote out/hello.txt.");
        var usage = result.GetProperty("modelUsage").GetProperty(Model);
        usage.GetProperty("inputTokens").GetInt64().ShouldBe(2200);
        usage.GetProperty("outputTokens").GetInt64().ShouldBe(300);
        usage.GetProperty("cacheCreationInputTokens").GetInt64().ShouldBe(500);
        usage.GetProperty("cacheReadInputTokens").GetInt64().ShouldBe(6500);
        var expected = SonnetCost(2200, 300, 500, 6500);
        expected.ShouldBe(0.014925m);
        result.GetProperty("total_cost_usd").GetDecimal().ShouldBe(expected, 0.000000001m);
        server.ModelCalls(RehearsalKey.Create("demo", "builder", 1)).ShouldBe(2);
    }

    [Fact]
    public async Task A_resumed_claude_session_appends_to_the_same_transcript_and_plays_the_next_iterations_edit()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-rehearsal-claude-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();
        var session = Guid.NewGuid().ToString();

        var first = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "builder", 1), dir, work,
            "--session-id", session, "--permission-mode", "acceptEdits", "FIRST-PROMPT write the file");
        first.ExitCode.ShouldBe(0, first.ToString());
        var projects = dir.Combine("claude-config", "projects");
        var transcript = Directory.GetFiles(projects, session + ".jsonl", SearchOption.AllDirectories).ShouldHaveSingleItem();
        var linesAfterFirst = File.ReadAllLines(transcript).Length;

        var second = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "builder", 2), dir, work,
            "--resume", session, "--permission-mode", "acceptEdits", "SECOND-PROMPT edit it");

        second.ExitCode.ShouldBe(0, second.ToString());
        second.Result.GetProperty("session_id").GetString().ShouldBe(session);
        second.Result.GetProperty("result").GetString().ShouldBe("Second pass done.");
        Directory.GetFiles(projects, "*.jsonl", SearchOption.AllDirectories).ShouldBe([transcript]);
        var text = File.ReadAllText(transcript);
        File.ReadAllLines(transcript).Length.ShouldBeGreaterThan(linesAfterFirst);
        text.ShouldContain("FIRST-PROMPT");
        text.ShouldContain("SECOND-PROMPT");
        File.ReadAllText(Path.Combine(work, "out", "hello.txt")).ShouldBe("hello from the rehearsal\nline two, edited on resume\n");
    }

    [Fact]
    public async Task A_scripted_http_400_makes_claudes_result_an_error_carrying_the_scripted_text()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-rehearsal-claude-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "rejected", 1), dir, work,
            "--session-id", Guid.NewGuid().ToString(), "--permission-mode", "acceptEdits", "Do something.");

        run.ExitCode.ShouldBe(1, run.ToString());
        var result = run.Result;
        result.GetProperty("is_error").GetBoolean().ShouldBeTrue();
        result.GetProperty("api_error_status").GetInt32().ShouldBe(400);
        result.GetProperty("result").GetString()!.ShouldContain("rehearsal: prompt rejected by the script");
    }

    [Fact]
    public async Task With_the_default_script_a_claude_reviewer_asks_for_another_iteration_then_approves()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-rehearsal-claude-");
        var root = Directory.CreateDirectory(dir.Combine("fleet-root")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = DefaultRehearsalScript.Create(["reviewer"]) }, TestContext.Current.CancellationToken).DefaultTimeout();

        foreach (var iteration in new[] { 1, 2 })
        {
            var run = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "reviewer", iteration), dir, root,
                "--session-id", Guid.NewGuid().ToString(), "--permission-mode", "acceptEdits", "Review the work.");
            run.ExitCode.ShouldBe(0, run.ToString());
        }

        File.ReadAllText(Path.Combine(root, "iterations", "1", "review.md")).ShouldStartWith("verdict: iterate\n");
        File.ReadAllText(Path.Combine(root, "iterations", "2", "review.md")).ShouldStartWith("verdict: lgtm\n");
    }

    [Fact]
    public async Task A_scripted_529_with_times_1_is_retried_by_claude_and_the_run_then_succeeds()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-rehearsal-claude-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "flaky", 1), dir, work,
            "--session-id", Guid.NewGuid().ToString(), "Hello.");

        run.ExitCode.ShouldBe(0, run.ToString());
        var retry = run.Events.Single(e => e.GetProperty("type").GetString() == "system" && e.GetProperty("subtype").GetString() == "api_retry");
        retry.GetProperty("error_status").GetInt32().ShouldBe(529);
        run.Result.GetProperty("result").GetString().ShouldBe("Recovered after a retry.");
        server.ModelCalls(RehearsalKey.Create("demo", "flaky", 1)).ShouldBe(2);
    }

    [Fact]
    public async Task A_write_outside_the_working_folder_needs_permission_and_headless_claude_records_a_denial()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        using var dir = new TempDir("fleet-rehearsal-claude-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunClaudeAsync(claude, server, RehearsalKey.Create("demo", "trespasser", 1), dir, work,
            "--session-id", Guid.NewGuid().ToString(), "--permission-mode", "acceptEdits", "Write outside.");

        run.ExitCode.ShouldBe(0, run.ToString());
        File.Exists(dir.Combine("outside", "secret.txt")).ShouldBeFalse();
        var denial = run.Result.GetProperty("permission_denials").EnumerateArray().ShouldHaveSingleItem();
        denial.GetProperty("tool_name").GetString().ShouldBe("Write");
    }
}
