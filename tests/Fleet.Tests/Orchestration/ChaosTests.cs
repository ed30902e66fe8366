using System.Text.Json;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;

namespace Fleet.Tests.Orchestration;

/// <summary>Crash safety: kill -9 the orchestrator anywhere, resume, and the run ends exactly as an uninterrupted one.</summary>
public class ChaosTests
{
    private static string Fleet(string name) => $$"""
        { "fleet_name": "{{name}}", "type": "iterative", "config": { "provider": "command", "max_concurrent": 2 }, "workers": [
          { "id": "a", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + "sleep 0.2")}} },
          { "id": "b", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + "sleep 0.2")}} },
          { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 3)}}, "depends_on": ["a", "b"] } ],
          "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
        """;

    [Fact]
    public async Task Killing_the_orchestrator_at_twenty_points_changes_nothing_in_the_outcome()
    {
        await using var baseline = new FleetRun(Fleet("chaos"));
        (await baseline.LaunchAndWaitAsync()).ShouldBe(0);
        var expected = Summary(baseline);
        var journalLength = baseline.Journal.Count;

        // Under load, as on a busy CI machine: the shims start slowly and the hand-over windows (spawn to claim,
        // claim to agent, exit.json to the orchestrator reading it) are wide, which is where a kill hurts.
        using var load = CpuLoad.Start(Environment.ProcessorCount, TestTimeouts.Slow * 8);
        var killedAt = new HashSet<int>();
        var delays = new List<int>();
        // Kills land where the orchestrator happens to be: a fast orchestrator writes a decision round's entries in
        // one burst, so some lengths are hard to hit. Rounds vary the target and a delay after reaching it, spread
        // over 0-330 ms (a worker's agent runs 200 ms; a new shim takes longer than that to claim under load), and
        // go on until at least 20 different journal lengths have been hit, or 40 rounds were tried.
        for (var round = 0; killedAt.Count < 20 && round < 40; round++)
        {
            await using var run = new FleetRun(Fleet("chaos"));
            var (launched, _) = await run.FleetAsync("launch", run.Root, "--no-tmux");
            launched.ShouldBe(0);
            for (var (point, kill) = (2 + (round % 3), 0); point < journalLength; point += 3, kill++)
            {
                var delay = TimeSpan.FromMilliseconds((round * 7 + kill * 3) % 12 * 30);
                var at = await KillOrchestratorAtAsync(run, point, delay);
                if (at is null)
                {
                    break;
                }

                killedAt.Add(at.Value);
                delays.Add((int)delay.TotalMilliseconds);
                var (resumed, console) = await run.FleetAsync("resume", run.Root);
                resumed.ShouldBe(0, console.Stderr);
            }

            await run.WaitForAsync(s => s.Ended is not null);
            Summary(run).ShouldBe(expected, $"round {round}, killed at journal lengths {string.Join(", ", killedAt.Order())}\n{Evidence(run)}");
            run.Starts.Count.ShouldBe(run.Starts.Distinct().Count(), $"a (worker, iteration) started twice\n{Evidence(run)}");
        }

        killedAt.Count.ShouldBeGreaterThanOrEqualTo(20);
        delays.Distinct().Count().ShouldBeGreaterThanOrEqualTo(8, "the kills were not spread over the hand-over window");
    }

    /// <summary>Waits until the run's journal has <paramref name="length"/> entries (and <paramref name="delay"/> more), then kill -9 its orchestrator; the length it had at the kill, or null when the run ended first.</summary>
    private static async Task<int?> KillOrchestratorAtAsync(FleetRun run, int length, TimeSpan delay)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var state = run.State;
            if (state.Ended is not null)
            {
                return null;
            }

            var entries = run.Journal.Count;
            if (entries >= length && OrchestratorInfo.Running(run.Layout) is { } orchestrator)
            {
                await Task.Delay(delay, TestContext.Current.CancellationToken);
                orchestrator.Identity.Signal(UnixSignal.SIGKILL);
                while (orchestrator.Identity.IsAlive)
                {
                    await Task.Delay(10, TestContext.Current.CancellationToken);
                }

                // A fast orchestrator may end the run within the delay: the kill then hit one with nothing left to do.
                return run.State.Ended is null ? run.Journal.Count : null;
            }

            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var log = Path.Combine(run.Layout.StateDir, FleetRuns.LaunchLog);
        throw new TimeoutException($"the journal never reached {length} entries:\n{string.Join('\n', run.Journal.Select(e => $"{e.Ts:HH:mm:ss.fff} {e.Type} {e.Worker} {e.Iteration} {e.Outcome} {e.Reason}"))}\n--- {log}:\n{(File.Exists(log) ? File.ReadAllText(log) : "none")}\n--- files: {string.Join(", ", Directory.GetFiles(run.Root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(run.Root, f)))}");
    }

    /// <summary>What a failed round leaves to look at: the journal, and each not-succeeded worker's claim and shim log.</summary>
    private static string Evidence(FleetRun run)
    {
        var text = new System.Text.StringBuilder();
        foreach (var e in run.Journal)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{e.Ts:HH:mm:ss.fff} {e.Type} {e.Worker} {e.Iteration} {e.Outcome} {e.Reason} {e.Pid}");
        }

        foreach (var w in run.State.Workers.Where(w => w.Status != WorkerStatus.Succeeded))
        {
            var dir = run.Layout.IterationDir(w.Iteration);
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"--- {w.Worker}@{w.Iteration} claim: {Read(global::Fleet.Workers.WorkerClaim.PathFor(dir, w.Worker))}");
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"--- {w.Worker}@{w.Iteration} shim log: {Read(Path.Combine(dir, $"{w.Worker}.shim.log"))}");
        }

        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"--- starts: {string.Join(", ", run.Starts)}");
        return text.ToString();

        static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "none";
    }

    private static string Summary(FleetRun run)
    {
        var state = run.State;
        return JsonSerializer.Serialize(new
        {
            outcome = state.Ended?.Outcome,
            reason = state.Ended?.Reason,
            verdicts = state.Verdicts.Select(v => $"{v.Iteration}:{v.Verdict}"),
            workers = state.Workers.OrderBy(w => w.Iteration).ThenBy(w => w.Worker, StringComparer.Ordinal).Select(w => $"{w.Worker}@{w.Iteration}:{w.Status}"),
            starts = run.Starts.Order(StringComparer.Ordinal),
        });
    }
}

public class KillTests
{
    [Fact]
    public async Task Fleet_kill_leaves_no_process_of_the_fleet_alive_not_even_a_double_forked_grandchild()
    {
        var argv = JsonSerializer.Serialize(FakeAgent.Argv("fork-grandchild", "300", "sleep", "300000"));
        await using var run = new FleetRun($$"""
            { "fleet_name": "doomed", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "forker", "type": "code-run", "command": {{argv}} },
              { "id": "after", "type": "code-run", "command": {{argv}}, "depends_on": ["forker"] } ] }
            """);
        await run.FleetAsync("launch", run.Root, "--no-tmux");
        var iterationDir = Path.Combine(run.Root, "iterations", "1");
        int grandchild = 0;
        // The shim records its agent in the claim once it has started it: a fast agent can fork first.
        await run.WaitForAsync(_ => TryGrandchild(Path.Combine(iterationDir, "forker.log"), out grandchild)
            && Fleet.Workers.WorkerClaim.TryRead(iterationDir, "forker")?.AgentPid is not null);
        var claim = Fleet.Workers.WorkerClaim.TryRead(iterationDir, "forker")!;
        var orchestrator = OrchestratorInfo.Running(run.Layout)!;

        var (code, console) = await run.FleetAsync("kill", run.Root).SlowTimeout();

        code.ShouldBe(0, console.Stderr);
        // Dead is enough: a zombie waits for its parent (init here) to reap it, which the kill does not wait for.
        (ProcStat.TryRead(grandchild) is null or { HasEnded: true }).ShouldBeTrue("the double-forked grandchild survived");
        // The group may still hold that zombie (kill(-pgid, 0) counts it); no live member is left.
        ProcessTable.Capture().Processes.Where(p => p.ProcessGroupId == claim.Agent!.Pid && !p.HasEnded).ShouldBeEmpty();
        orchestrator.Identity.IsAlive.ShouldBeFalse();
        claim.Shim.IsAlive.ShouldBeFalse();
        run.State.Ended!.Outcome.ShouldBe("killed");
        run.State.Worker("after", 1).Status.ShouldBe(WorkerStatus.Pending);
        run.Journal.ShouldContain(e => e.Type == JournalTypes.Killed && e.Worker == "forker");
        var (_, status) = await run.FleetAsync("status", run.Root);
        status.Stdout.ShouldContain(": killed");
    }

    [Fact]
    public async Task Killing_one_worker_lets_the_orchestrator_go_on_and_skip_its_dependents()
    {
        var argv = JsonSerializer.Serialize(FakeAgent.Argv("sleep", "300000"));
        await using var run = new FleetRun($$"""
            { "fleet_name": "one", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "stuck", "type": "code-run", "command": {{argv}} },
              { "id": "after", "type": "code-run", "command": {{argv}}, "depends_on": ["stuck"] } ] }
            """);
        await run.FleetAsync("launch", run.Root, "--no-tmux");
        await run.WaitForAsync(_ => Fleet.Workers.WorkerClaim.TryRead(Path.Combine(run.Root, "iterations", "1"), "stuck")?.AgentPid is not null);

        var (code, _) = await run.FleetAsync("kill", run.Root, "stuck");
        await run.WaitForAsync(s => s.Ended is not null);

        code.ShouldBe(0);
        run.State.Worker("stuck", 1).Status.ShouldBe(WorkerStatus.Killed);
        run.State.Worker("after", 1).Status.ShouldBe(WorkerStatus.Skipped);
        run.State.Ended!.Outcome.ShouldBe("failed");
    }

    private static bool TryGrandchild(string log, out int pid)
    {
        pid = 0;
        if (!File.Exists(log))
        {
            return false;
        }

        var line = File.ReadAllLines(log).FirstOrDefault(l => l.StartsWith("grandchild-pid ", StringComparison.Ordinal));
        return line is not null && int.TryParse(line["grandchild-pid ".Length..], out pid);
    }
}
