using System.Globalization;
using System.Text.Json;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;
using Fleet.Workers;

namespace Fleet.Tests.Limits;

/// <summary>
/// The REAL claude and codex CLIs meet a limit from the rehearsal endpoint: the worker is recorded limited, waits,
/// and fleet continues its own session once.
/// </summary>
public class LimitEndToEndTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(300);

    private static FleetRun Fleet(string provider, string limitTurn)
    {
        var run = new FleetRun($$"""
            { "fleet_name": "limited-{{provider}}", "type": "dag", "config": { "provider": "{{provider}}", "model": "{{(provider == "claude" ? "claude-sonnet-4-5" : "gpt-5")}}" }, "workers": [
              { "id": "w", "type": "code-run", "task": "Write done.txt." } ] }
            """);
        run.Dir.Write("fleet/rehearsal.json", $$"""
            { "rules": [ { "worker": "w", "turns": [
                {{limitTurn}},
                { "type": "write_file", "path": "done.txt", "content": "done\n" },
                { "type": "text", "text": "Done." } ] } ] }
            """);
        run.Environment["FLEET_LIMIT_BACKOFF_SECONDS"] = "1";
        return run;
    }

    private static int Count(FleetRun run, string type) => run.Journal.Count(e => e.Type == type && e.Worker == "w");

    private static async Task WaitAsync(FleetRun run, Func<RunState, bool> condition) => await run.WaitForAsync(condition, Long);

    [Theory]
    [InlineData("claude", """{ "type": "usage_limit", "resets_in_seconds": 2 }""", "rate limit")]
    [InlineData("claude", """{ "type": "rate_limit", "retry_after_seconds": 1 }""", "rate limit")]
    [InlineData("claude", """{ "type": "overloaded" }""", "API overload")]
    [InlineData("codex", """{ "type": "usage_limit", "resets_in_seconds": 2 }""", "usage limit")]
    [InlineData("codex", """{ "type": "rate_limit" }""", "rate limit")]
    public async Task A_worker_that_meets_a_limit_is_limited_then_continues_its_own_session_once_and_finishes(string provider, string limitTurn, string limit)
    {
        AgentCli.RequireOrSkip(provider);
        await using var run = Fleet(provider, limitTurn);

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux").SlowTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);
        await WaitAsync(run, s => s.Worker("w", 1).Status == WorkerStatus.Limited || s.Ended is not null);
        var limited = run.State.Worker("w", 1);
        limited.Status.ShouldBe(WorkerStatus.Limited, string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Outcome} {e.Reason}")));
        limited.Reason.ShouldStartWith(limit);
        var until = limited.LimitedUntil.ShouldNotBeNull();

        var (_, status) = await run.FleetAsync("status", run.Root);
        var (_, json) = await run.FleetAsync("status", run.Root, "--json");
        if (run.State.Worker("w", 1).Status == WorkerStatus.Limited)
        {
            status.Stdout.ShouldContain($"limited until {until.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture)}");
            using var doc = JsonDocument.Parse(json.Stdout);
            var worker = doc.RootElement.GetProperty("workers")[0];
            worker.GetProperty("state").GetString().ShouldBe("limited");
            worker.GetProperty("limited_until").GetDateTimeOffset().ShouldBe(until);
        }

        await WaitAsync(run, s => s.Ended is not null);
        run.State.Ended!.Outcome.ShouldBe("success", string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Outcome} {e.Reason}")));
        Count(run, JournalTypes.WorkerLimited).ShouldBe(1);
        Count(run, JournalTypes.WorkerContinued).ShouldBe(1);
        run.Journal.Single(e => e.Type == JournalTypes.WorkerContinued).Ts.ShouldBeGreaterThanOrEqualTo(until);

        var iteration = Path.Combine(run.Root, "iterations", "1");
        var first = WorkerExitRecord.Read(WorkerFiles.LimitedExitJson(iteration, "w", 1));
        var last = WorkerExitRecord.Read(Path.Combine(iteration, "w.exit.json"));
        first.Outcome.ShouldBe(WorkerOutcome.Limited);
        last.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        last.Attempt.ShouldBe(2);
        first.SessionId.ShouldNotBeNull();
        last.SessionId.ShouldBe(first.SessionId, "the continuation did not go on in the worker's own session");
        var spec = await WorkerLaunchSpec.ReadAsync(Path.Combine(iteration, "w.attempt-2.spec.json"), TestContext.Current.CancellationToken);
        if (provider == "claude")
        {
            spec.Argv.ShouldContain("--resume");
            spec.Argv.ShouldContain(first.SessionId);
        }
        else
        {
            // Codex under app-server resumes the thread over JSON-RPC (thread/resume), not in its argv.
            spec.CodexSession.ShouldNotBeNull().ResumeThread.ShouldBe(first.SessionId);
        }
        File.ReadAllText(Path.Combine(run.Root, "done.txt")).ShouldBe("done\n");

        // The endpoint saw the limit, then the continued conversation go on past it.
        var requests = File.ReadAllLines(Path.Combine(run.Layout.StateDir, "rehearsal", "requests.jsonl"));
        requests.ShouldContain(l => l.Contains("limit", StringComparison.Ordinal));
        requests.ShouldContain(l => l.Contains("tool", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("claude")]
    [InlineData("codex")]
    public async Task An_orchestrator_killed_during_the_wait_and_a_resume_continue_the_worker_exactly_once(string provider)
    {
        AgentCli.RequireOrSkip(provider);
        // A reset an hour away: only the person's resume can continue it within the test.
        await using var run = Fleet(provider, """{ "type": "usage_limit", "resets_in_seconds": 3600 }""");
        run.Environment["FLEET_LIMIT_BACKOFF_SECONDS"] = "3600";

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux").SlowTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);
        await WaitAsync(run, s => s.Worker("w", 1).Status == WorkerStatus.Limited || s.Ended is not null);
        run.State.Worker("w", 1).Status.ShouldBe(WorkerStatus.Limited);
        var orchestrator = OrchestratorInfo.Running(run.Layout).ShouldNotBeNull();
        using (var process = System.Diagnostics.Process.GetProcessById(orchestrator.Pid))
        {
            process.Kill(); // SIGKILL, this process only: its workers run in their own sessions.
        }

        await Eventually(() => OrchestratorInfo.Running(run.Layout) is null);

        var (resumed, resume) = await run.FleetAsync("resume", run.Root).SlowTimeout();
        resumed.ShouldBe(0, resume.Stdout + resume.Stderr);
        resume.Stdout.ShouldContain("continuing now");

        await WaitAsync(run, s => s.Ended is not null);
        run.State.Ended!.Outcome.ShouldBe("success", string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Outcome} {e.Reason}")));
        Count(run, JournalTypes.WorkerLimited).ShouldBe(1);
        Count(run, JournalTypes.WorkerContinued).ShouldBe(1);
        run.Journal.Single(e => e.Type == JournalTypes.WorkerContinued).Reason.ShouldBe("continued by a person (fleet resume)");
        File.Exists(run.Layout.ContinueNowFile).ShouldBeFalse();
        var iteration = Path.Combine(run.Root, "iterations", "1");
        File.Exists(WorkerFiles.LimitedExitJson(iteration, "w", 2)).ShouldBeFalse();
        WorkerExitRecord.Read(Path.Combine(iteration, "w.exit.json")).Attempt.ShouldBe(2);
    }

    [Fact]
    public async Task A_resume_during_the_wait_continues_the_limited_worker_at_once()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = Fleet("claude", """{ "type": "usage_limit", "resets_in_seconds": 3600 }""");
        run.Environment["FLEET_LIMIT_BACKOFF_SECONDS"] = "3600";

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux").SlowTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);
        await WaitAsync(run, s => s.Worker("w", 1).Status == WorkerStatus.Limited || s.Ended is not null);
        var until = run.State.Worker("w", 1).LimitedUntil.ShouldNotBeNull();
        var orchestrator = OrchestratorInfo.Running(run.Layout).ShouldNotBeNull();

        var (resumed, resume) = await run.FleetAsync("resume", run.Root).SlowTimeout();
        resumed.ShouldBe(0, resume.Stdout + resume.Stderr);

        await WaitAsync(run, s => s.Ended is not null);
        run.State.Ended!.Outcome.ShouldBe("success");
        run.Journal.Single(e => e.Type == JournalTypes.WorkerContinued).Ts.ShouldBeLessThan(until);
        run.Journal.Count(e => e.Type == JournalTypes.OrchestratorStarted).ShouldBe(1, "the running orchestrator continued it");
        orchestrator.Pid.ShouldBe(run.Journal.Single(e => e.Type == JournalTypes.OrchestratorStarted).Pid!.Value);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
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
