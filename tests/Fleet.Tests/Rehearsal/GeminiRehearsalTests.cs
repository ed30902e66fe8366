using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.Streams;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

/// <summary>The real <c>gemini -p -o stream-json</c> (pinned 0.61.0) against the rehearsal endpoint's Gemini wire.</summary>
public class GeminiRehearsalTests
{
    private const string Script = """
        { "rules": [
            { "worker": "coder", "turns": [
                { "type": "shell", "command": "mkdir -p made && echo 'made by {worker} in iteration {iteration}' > made/by-shell.txt",
                  "usage": { "input_tokens": 1000, "output_tokens": 50, "cache_read_input_tokens": 4000, "reasoning_output_tokens": 10 } },
                { "type": "write_file", "path": "notes/plan.md", "content": "# plan\nstep one\n" },
                { "type": "edit_file", "path": "notes/plan.md", "old_string": "step one", "new_string": "step one, patched" },
                { "type": "tool_call", "name": "read_file", "input": { "file_path": "notes/plan.md" } },
                { "type": "structured_output", "value": { "done": true }, "usage": { "input_tokens": 2000, "output_tokens": 30 } } ] },
            { "worker": "rejected", "turns": [ { "type": "fail", "status": 400, "message": "rehearsal: gemini prompt rejected" } ] } ] }
        """;

    internal static Task<AgentRunResult> RunGeminiAsync(string gemini, RehearsalServer server, RehearsalKey key, TempDir dir, string work, string prompt, string mode = "yolo", string? resume = null)
    {
        var env = RehearsalEnvironment.For(RehearsalProvider.Gemini, server.BaseUrl, key.ToString(), dir.Path);
        List<string> argv = ["-o", "stream-json", "--skip-trust", "--approval-mode", mode, "-m", "gemini-2.5-pro"];
        if (resume is not null)
        {
            argv.AddRange(["--resume", resume]);
        }

        argv.AddRange(["-p", prompt]);
        return AgentCli.RunAsync(gemini, argv, work, env, dir.Combine("home"));
    }

    [Fact]
    public async Task Gemini_runs_the_scripted_shell_command_write_edit_tool_call_and_structured_output_and_they_take_effect()
    {
        var gemini = AgentCli.RequireOrSkip("gemini");
        using var dir = new TempDir("fleet-rehearsal-gemini-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunGeminiAsync(gemini, server, RehearsalKey.Create("demo", "coder", 3), dir, work, "Make the files.");

        run.ExitCode.ShouldBe(0, run.ToString());
        File.ReadAllText(Path.Combine(work, "made", "by-shell.txt")).ShouldBe("made by coder in iteration 3\n");
        File.ReadAllText(Path.Combine(work, "notes", "plan.md")).ShouldBe("# plan\nstep one, patched\n");
        var tools = run.Events.Where(e => e.GetProperty("type").GetString() == "tool_use").Select(e => e.GetProperty("tool_name").GetString()).ToList();
        tools.ShouldBe(["run_shell_command", "write_file", "replace", "read_file"], run.ToString());
        run.Events.Where(e => e.GetProperty("type").GetString() == "tool_result").ShouldAllBe(e => e.GetProperty("status").GetString() == "success", run.ToString());
        var said = string.Concat(run.Events.Where(e => e.GetProperty("type").GetString() == "message" && e.GetProperty("role").GetString() == "assistant").Select(e => e.GetProperty("content").GetString()));
        said.ShouldBe("{\"done\":true}");

        // This process's tokens, per model: the scripted usage plus the default (1000 in, 100 out) for the unscripted
        // turns; the thoughts (reasoning) are billed as output.
        var reader = new GeminiStreamReader();
        foreach (var line in run.Stdout.Split('\n'))
        {
            reader.Accept(System.Text.Encoding.UTF8.GetBytes(line));
        }

        var summary = reader.Summary;
        summary.IsError.ShouldBeFalse(run.ToString());
        summary.InputTokens.ShouldBe(1000 + (3 * 1000) + 2000);
        summary.CachedInputTokens.ShouldBe(4000);
        summary.OutputTokens.ShouldBe(50 + (3 * 100) + 30);
        summary.CostUsd.ShouldBe(((6000 * 1.25m) + (4000 * 0.125m) + (380 * 10.00m)) / 1_000_000m);
        server.ModelCalls(RehearsalKey.Create("demo", "coder", 3)).ShouldBe(5);
    }

    [Fact]
    public async Task A_scripted_http_400_ends_the_gemini_run_with_an_error_result_and_the_scripted_text()
    {
        var gemini = AgentCli.RequireOrSkip("gemini");
        using var dir = new TempDir("fleet-rehearsal-gemini-");
        var work = Directory.CreateDirectory(dir.Combine("work")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var run = await RunGeminiAsync(gemini, server, RehearsalKey.Create("demo", "rejected", 1), dir, work, "Do something.");

        run.ExitCode.ShouldNotBe(0, run.ToString());
        (run.Stdout + run.Stderr).ShouldContain("rehearsal: gemini prompt rejected");
        var reader = new GeminiStreamReader();
        foreach (var line in run.Stdout.Split('\n'))
        {
            reader.Accept(System.Text.Encoding.UTF8.GetBytes(line));
        }

        reader.Summary.IsError.ShouldBeTrue(run.ToString());
    }

    [Fact]
    public async Task With_the_default_script_a_gemini_reviewer_writes_review_md_and_a_gemini_builder_writes_its_file_under_auto_edit()
    {
        var gemini = AgentCli.RequireOrSkip("gemini");
        using var dir = new TempDir("fleet-rehearsal-gemini-");
        var root = Directory.CreateDirectory(dir.Combine("fleet-root")).FullName;
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = DefaultRehearsalScript.Create(["judge"]) }, TestContext.Current.CancellationToken).DefaultTimeout();

        var builder = await RunGeminiAsync(gemini, server, RehearsalKey.Create("demo", "builder-g", 1), dir, root, "Build.", "auto_edit");
        var review = await RunGeminiAsync(gemini, server, RehearsalKey.Create("demo", "judge", 1), dir, root, "Review.", "auto_edit");

        builder.ExitCode.ShouldBe(0, builder.ToString());
        review.ExitCode.ShouldBe(0, review.ToString());
        File.ReadAllText(Path.Combine(root, "rehearsal", "builder-g.iteration-1.txt")).ShouldBe("rehearsed by builder-g of demo in iteration 1\n");
        File.ReadAllText(Path.Combine(root, "iterations", "1", "review.md")).ShouldStartWith("verdict: iterate\n");
        JsonDocument.Parse(review.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement.GetProperty("type").GetString().ShouldBe("init");
    }
}
