using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

/// <summary>The real <c>codex exec</c> (pinned 0.169.0) against the rehearsal endpoint.</summary>
public class CodexRehearsalTests
{
    private const string Script = """
        { "rules": [
            { "worker": "coder", "turns": [
                { "type": "shell", "command": "mkdir -p made && echo 'made by {worker} in iteration {iteration}' > made/by-shell.txt",
                  "usage": { "input_tokens": 1000, "output_tokens": 50, "cache_read_input_tokens": 4000, "reasoning_output_tokens": 10 } },
                { "type": "write_file", "path": "notes/plan.md", "content": "# plan\nstep one\n" },
                { "type": "edit_file", "path": "notes/plan.md", "old_string": "step one", "new_string": "step one, patched" },
                { "type": "text", "text": "All done.", "usage": { "input_tokens": 2000, "output_tokens": 30 } } ] },
            { "worker": "rejected", "turns": [ { "type": "fail", "status": 400, "message": "rehearsal: codex prompt rejected" } ] } ] }
        """;

    private static Task<AgentRunResult> RunCodexAsync(string codex, RehearsalServer server, RehearsalKey key, TempDir dir, string work, string prompt)
    {
        var env = RehearsalEnvironment.For(RehearsalProvider.Codex, server.BaseUrl, key.ToString(), dir.Path);
        string[] argv = ["exec", "--json", "--skip-git-repo-check", "-C", work, "-s", "workspace-write", "-o", dir.Combine("last-message.txt"), prompt];
        return AgentCli.RunAsync(codex, argv, work, env, dir.Combine("home"));
    }

    [Fact]
    public async Task Codex_runs_the_scripted_shell_command_write_and_patch_in_workspace_write_and_they_take_effect()
    {
        var codex = AgentCli.RequireOrSkip("codex");
        using var dir = new TempDir("fleet-rehearsal-codex-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunCodexAsync(codex, server, RehearsalKey.Create("demo", "coder", 3), dir, work, "Make the files.");

        run.ExitCode.ShouldBe(0, run.ToString());
        File.ReadAllText(Path.Combine(work, "made", "by-shell.txt")).ShouldBe("made by coder in iteration 3\n");
        File.ReadAllText(Path.Combine(work, "notes", "plan.md")).ShouldBe("# plan\nstep one, patched\n");
        File.ReadAllText(dir.Combine("last-message.txt")).Trim().ShouldBe("All done.");
        var items = run.Events.Where(e => e.GetProperty("type").GetString() == "item.completed").Select(e => e.GetProperty("item")).ToList();
        var commands = items.Where(i => i.GetProperty("type").GetString() == "command_execution").ToList();
        commands.ShouldNotBeEmpty(run.ToString());
        commands.ShouldAllBe(c => c.GetProperty("status").GetString() == "completed" && c.GetProperty("exit_code").GetInt32() == 0, run.ToString());
        items.Last().GetProperty("type").GetString().ShouldBe("agent_message");

        // Usage: cumulative for the turn; the default usage (1000 in, 100 out) fills the unscripted turns.
        var usage = run.Events.Last(e => e.GetProperty("type").GetString() == "turn.completed").GetProperty("usage");
        usage.GetProperty("input_tokens").GetInt64().ShouldBe((1000 + 4000) + 1000 + 1000 + 2000);
        usage.GetProperty("cached_input_tokens").GetInt64().ShouldBe(4000);
        usage.GetProperty("output_tokens").GetInt64().ShouldBe(50 + 100 + 100 + 30);
        usage.GetProperty("reasoning_output_tokens").GetInt64().ShouldBe(10);
        server.ModelCalls(RehearsalKey.Create("demo", "coder", 3)).ShouldBe(4);
    }

    [Fact]
    public async Task A_scripted_http_400_fails_the_codex_turn_with_the_scripted_text()
    {
        var codex = AgentCli.RequireOrSkip("codex");
        using var dir = new TempDir("fleet-rehearsal-codex-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunCodexAsync(codex, server, RehearsalKey.Create("demo", "rejected", 1), dir, work, "Do something.");

        run.ExitCode.ShouldBe(1, run.ToString());
        var failed = run.Events.Last(e => e.GetProperty("type").GetString() == "turn.failed");
        failed.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("rehearsal: codex prompt rejected");
    }

    [Fact]
    public async Task With_the_default_script_a_codex_reviewer_writes_review_md_and_a_codex_builder_writes_its_file()
    {
        var codex = AgentCli.RequireOrSkip("codex");
        using var dir = new TempDir("fleet-rehearsal-codex-");
        var root = Directory.CreateDirectory(dir.Combine("fleet-root")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = DefaultRehearsalScript.Create(["judge"]) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var builder = await RunCodexAsync(codex, server, RehearsalKey.Create("demo", "builder-b", 1), dir, root, "Build.");
        var review = await RunCodexAsync(codex, server, RehearsalKey.Create("demo", "judge", 1), dir, root, "Review.");

        builder.ExitCode.ShouldBe(0, builder.ToString());
        review.ExitCode.ShouldBe(0, review.ToString());
        File.ReadAllText(Path.Combine(root, "rehearsal", "builder-b.iteration-1.txt")).ShouldBe("rehearsed by builder-b of demo in iteration 1\n");
        File.ReadAllText(Path.Combine(root, "iterations", "1", "review.md")).ShouldStartWith("verdict: iterate\n");
        JsonDocument.Parse(review.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement.GetProperty("type").GetString().ShouldBe("thread.started");
    }

    [Fact]
    public async Task A_codex_session_that_outlives_its_endpoint_goes_on_with_the_restarted_one_and_runs_each_command_exactly_once()
    {
        var codex = AgentCli.RequireOrSkip("codex");
        using var dir = new TempDir("fleet-rehearsal-codex-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        var marks = Path.Combine(work, "marks.txt");
        var script = RehearsalScript.Parse("""
            { "rules": [ { "worker": "marker", "turns": [
                { "type": "shell", "command": "echo first >> marks.txt; while [ ! -e go ]; do sleep 0.1; done" },
                { "type": "shell", "command": "echo second >> marks.txt" },
                { "type": "shell", "command": "echo third >> marks.txt" },
                { "type": "text", "text": "Marked three times." } ] } ] }
            """);
        var key = RehearsalKey.Create("demo", "marker", 1);
        var first = await RehearsalServer.StartAsync(new RehearsalOptions { Script = script }, TestContext.Current.CancellationToken).DefaultTimeout();
        Task<AgentRunResult> run;
        RehearsalServer restarted;
        try
        {
            run = RunCodexAsync(codex, first, key, dir, work, "Mark three times.");
            // The first command holds codex until "go" exists: the endpoint dies and comes back meanwhile.
            await WaitUntilAsync(() => File.Exists(marks) || run.IsCompleted);
            if (run.IsCompleted)
            {
                throw new InvalidOperationException($"codex ended before the endpoint restarted:\n{await run}");
            }
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using (restarted = await RehearsalServer.StartAsync(new RehearsalOptions { Port = first.Port, Script = script }, TestContext.Current.CancellationToken).DefaultTimeout())
        {
            await File.WriteAllTextAsync(Path.Combine(work, "go"), string.Empty, TestContext.Current.CancellationToken);
            var result = await run.SlowTimeout();

            result.ExitCode.ShouldBe(0, result.ToString());
            File.ReadAllLines(marks).ShouldBe(["first", "second", "third"]);
            File.ReadAllText(dir.Combine("last-message.txt")).Trim().ShouldBe("Marked three times.");
            restarted.IdPrefix.ShouldNotBe(first.IdPrefix);
            restarted.Requests.Where(r => r.Provider is not null).Select(r => r.Outcome)
                .ShouldBe(["step 1: tool exec_command", "step 2: tool exec_command", "step 3: text"], result.ToString());
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("the condition never held");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
