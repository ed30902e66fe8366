using System.Text.Json;
using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Workers;

namespace Fleet.Tests.Orchestration;

/// <summary>Whole fleets with the REAL agent CLIs against the rehearsal endpoint, real git, real tmux.</summary>
public class EndToEndTests
{
    [Fact]
    public async Task An_iterative_claude_fleet_iterates_once_and_stops_on_lgtm_with_resumed_sessions_and_the_reviewers_fixes()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun("""
            { "fleet_name": "rehearsed", "type": "iterative", "config": { "provider": "claude", "model": "claude-sonnet-4-5", "max_concurrent": 2 }, "workers": [
              { "id": "builder-a", "type": "code-run", "task": "Build part A." },
              { "id": "builder-b", "type": "code-run", "task": "Build part B." },
              { "id": "reviewer", "type": "reviewer", "task": "Review both parts.", "depends_on": ["builder-a", "builder-b"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 4 } }
            """);

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--wait", "--no-tmux").SlowTimeout();

        code.ShouldBe(0, console.Stdout + console.Stderr);
        run.State.Verdicts.Select(v => v.Verdict).ShouldBe(["iterate", "lgtm"]);
        foreach (var builder in new[] { "builder-a", "builder-b" })
        {
            var first = await WorkerExitRecord.ReadAsync(Path.Combine(run.Root, "iterations", "1", $"{builder}.exit.json"), TestContext.Current.CancellationToken);
            var second = await WorkerExitRecord.ReadAsync(Path.Combine(run.Root, "iterations", "2", $"{builder}.exit.json"), TestContext.Current.CancellationToken);
            second.SessionId.ShouldBe(first.SessionId, "the builder did not continue its own session");
            var spec = await WorkerLaunchSpec.ReadAsync(Path.Combine(run.Root, "iterations", "2", $"{builder}.spec.json"), TestContext.Current.CancellationToken);
            spec.Argv.ShouldContain("--resume");
            File.ReadAllText(Path.Combine(run.Root, "iterations", "2", $"{builder}.prompt.md")).ShouldContain("## The reviewer's fixes for you, from iteration 1");
            File.ReadAllText(Path.Combine(run.Root, "iterations", "2", $"{builder}.prompt.md")).ShouldContain("one more pass");
        }

        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "reviewer.prompt.md")).ShouldContain("verdict: lgtm");
        var (_, status) = await run.FleetAsync("status", run.Root, "--json");
        using var json = JsonDocument.Parse(status.Stdout);
        json.RootElement.GetProperty("state").GetString().ShouldBe("done");
        json.RootElement.GetProperty("verdicts").GetArrayLength().ShouldBe(2);
        json.RootElement.GetProperty("spent_usd").GetDecimal().ShouldBeGreaterThan(0m);
        json.RootElement.GetProperty("spent_usd").GetDecimal().ShouldBe(run.State.Spent);

        // A rehearsal spends nothing: usage leaves it out unless asked.
        var (usageCode, usage) = await run.FleetAsync("usage", "--by", "worker", "--json", "--no-ingest", "--include-rehearsal");
        usageCode.ShouldBe(0, usage.Stderr);
        usage.Stdout.ShouldContain("builder-a");
        usage.Stdout.ShouldContain("reviewer");
    }

    [Fact]
    public async Task No_worker_starts_once_the_cost_cap_is_reached()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun("""
            { "fleet_name": "capped", "type": "dag", "config": { "provider": "claude", "model": "claude-sonnet-4-5", "cost_cap_usd": 0.02 }, "workers": [
              { "id": "one", "type": "code-run", "task": "First." },
              { "id": "two", "type": "code-run", "task": "Second.", "depends_on": ["one"] },
              { "id": "three", "type": "code-run", "task": "Third.", "depends_on": ["two"] } ] }
            """);

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--wait", "--no-tmux").SlowTimeout();

        code.ShouldBe(1, console.Stdout + console.Stderr);
        var state = run.State;
        state.Worker("one", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        state.Worker("two", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        state.Worker("three", 1).Status.ShouldBe(WorkerStatus.Pending);
        state.Spent.ShouldBeGreaterThanOrEqualTo(0.02m);
        state.CostCapReached.ShouldBeTrue();
        state.Ended!.Reason.ShouldStartWith("cost cap reached: spent $");
        state.Ended.Reason.ShouldEndWith("not started: three");
        Directory.Exists(Path.Combine(run.Root, "iterations", "1")).ShouldBeTrue();
        File.Exists(Path.Combine(run.Root, "iterations", "1", "three.spec.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_worktree_fleet_of_three_tasks_leaves_three_branches_with_the_workers_commits()
    {
        var work = FleetRun.Sh("echo \"work of $2\" > \"task-$2.txt\"");
        await using var run = new FleetRun($$"""
            { "fleet_name": "sweep", "type": "worktree", "config": { "provider": "command", "max_concurrent": 3 }, "workers": [
              { "id": "t1", "type": "code-run", "command": {{work}} },
              { "id": "t2", "type": "code-run", "command": {{work}} },
              { "id": "t3", "type": "code-run", "command": {{work}} } ] }
            """);
        await GitAsync(run.Root, "init", "-q", "-b", "main");
        await GitAsync(run.Root, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A");
        await GitAsync(run.Root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base");

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(0);
        foreach (var task in new[] { "t1", "t2", "t3" })
        {
            var files = await GitAsync(run.Root, "show", "--name-only", "--format=%s", $"fleet/sweep/{task}");
            files.ShouldContain($"fleet: {task}, iteration 1 (succeeded)");
            files.ShouldContain($"task-{task}.txt");
            (await GitAsync(run.Root, "show", $"fleet/sweep/{task}:task-{task}.txt")).ShouldBe($"work of {task}\n");
        }

        (await GitAsync(run.Root, "status", "--porcelain")).ShouldNotContain("task-");
    }

    [Fact]
    public async Task Under_tmux_each_worker_has_a_window_whose_view_can_be_read()
    {
        var socket = $"fleet-test-{Guid.NewGuid():N}"[..24];
        var worker = FleetRun.Sh("echo \"hello from $2 in iteration $1\"; while [ ! -f \"$0/go\" ]; do sleep 0.05; done");
        await using var run = new FleetRun($$"""
            { "fleet_name": "watched", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "viewer", "type": "code-run", "command": {{worker}} } ] }
            """);
        run.Environment[TmuxServer.SocketVariable] = socket;
        try
        {
            var (launched, console) = await run.FleetAsync("launch", run.Root, "--tmux");
            launched.ShouldBe(0, console.Stderr);
            console.Stdout.ShouldContain("fleet attach");
            var session = TmuxSession.ForFleet("watched", run.Root, socket);
            string pane = "";
            for (var i = 0; i < 200 && !pane.Contains("hello from viewer in iteration 1", StringComparison.Ordinal); i++)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
                pane = await session.ExistsAsync(TestContext.Current.CancellationToken) ? await session.CapturePaneAsync("viewer", TestContext.Current.CancellationToken) : "";
            }

            pane.ShouldContain("hello from viewer in iteration 1");
            File.WriteAllText(Path.Combine(run.Root, "go"), "");
            await run.WaitForAsync(s => s.Ended is not null);
            run.State.Ended!.Outcome.ShouldBe("success");
            (await run.FleetAsync("kill", run.Root)).ExitCode.ShouldBe(0);
            (await session.ExistsAsync(TestContext.Current.CancellationToken)).ShouldBeFalse();
        }
        finally
        {
            await TmuxServer.ForFleet("watched", run.Root, socket).KillServerAsync(CancellationToken.None);
        }
    }

    private static async Task<string> GitAsync(string dir, params string[] args)
    {
        var result = await new Fleet.Worktrees.GitCli().RunAsync(dir, args, TestContext.Current.CancellationToken).DefaultTimeout();
        result.ExitCode.ShouldBe(0, result.Stderr);
        return result.Stdout;
    }
}
