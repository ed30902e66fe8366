using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Orchestration;

/// <summary>Whole runs through fleet launch: a real detached orchestrator, real shims, real command workers.</summary>
public class OrchestratorTests
{
    [Fact]
    public async Task A_dag_fleet_runs_its_layers_in_order_and_never_exceeds_max_concurrent()
    {
        var work = FleetRun.Sh(FleetRun.RecordStart + "sleep 0.3");
        await using var run = new FleetRun($$"""
            { "fleet_name": "layers", "type": "dag", "config": { "provider": "command", "max_concurrent": 2 }, "workers": [
              { "id": "a", "type": "code-run", "command": {{work}} },
              { "id": "b", "type": "code-run", "command": {{work}} },
              { "id": "c", "type": "code-run", "command": {{work}} },
              { "id": "d", "type": "code-run", "command": {{work}}, "depends_on": ["a", "b", "c"] },
              { "id": "e", "type": "code-run", "command": {{work}}, "depends_on": ["d"] } ] }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(0);
        var spans = Spans(run.Journal);
        spans.Keys.Order(StringComparer.Ordinal).ShouldBe(["a", "b", "c", "d", "e"]);
        foreach (var (worker, (start, _)) in spans)
        {
            spans.Values.Count(s => s.Start <= start && start < s.End).ShouldBeLessThanOrEqualTo(2, $"{worker} started while 2 were running");
        }

        spans["d"].Start.ShouldBeGreaterThanOrEqualTo(new[] { spans["a"].End, spans["b"].End, spans["c"].End }.Max());
        spans["e"].Start.ShouldBeGreaterThanOrEqualTo(spans["d"].End);
        run.Starts.Count.ShouldBe(5);
    }

    [Fact]
    public async Task A_failed_dag_worker_skips_its_dependents_and_the_run_fails()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "skips", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "broken", "type": "code-run", "command": {{FleetRun.Sh("exit 3")}} },
              { "id": "after", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}}, "depends_on": ["broken"] },
              { "id": "later", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}}, "depends_on": ["after"] },
              { "id": "free", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}} } ] }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(1);
        var state = run.State;
        state.Worker("broken", 1).Status.ShouldBe(WorkerStatus.Failed);
        state.Worker("after", 1).Status.ShouldBe(WorkerStatus.Skipped);
        state.Worker("after", 1).Reason.ShouldBe("broken failed");
        state.Worker("later", 1).Status.ShouldBe(WorkerStatus.Skipped);
        state.Worker("free", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        run.Starts.ShouldBe(["free 1"]);
        var (_, status) = await run.FleetAsync("status", run.Root);
        status.Stdout.ShouldContain("after   skipped");
    }

    [Fact]
    public async Task An_iterative_fleet_iterates_until_the_reviewer_approves()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "iterates", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2)}}, "depends_on": ["builder"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(0);
        run.State.Verdicts.Select(v => v.Verdict).ShouldBe(["iterate", "lgtm"]);
        run.State.Ended!.Reason.ShouldBe("1 lgtm verdict (needed 1)");
        run.Starts.ShouldBe(["builder 1", "reviewer 1", "builder 2", "reviewer 2"]);
    }

    [Fact]
    public async Task Approvals_are_counted_cumulatively_not_consecutively()
    {
        // lgtm, iterate, lgtm: two approvals in three iterations satisfy reviewer_lgtm_count 2.
        var reviewer = FleetRun.Sh("case \"$1\" in 2) v=iterate;; *) v=lgtm;; esac; printf 'verdict: %s\\n' \"$v\" > \"$0/iterations/$1/review.md\"");
        await using var run = new FleetRun($$"""
            { "fleet_name": "cumulative", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh("true")}} },
              { "id": "reviewer", "type": "reviewer", "command": {{reviewer}}, "depends_on": ["builder"] } ],
              "stop_when": { "reviewer_lgtm_count": 2, "max_iterations": 5 } }
            """);

        (await run.LaunchAndWaitAsync()).ShouldBe(0);

        run.State.Verdicts.Select(v => v.Verdict).ShouldBe(["lgtm", "iterate", "lgtm"]);
    }

    [Fact]
    public async Task Max_iterations_ends_a_run_that_never_gets_approval()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "never", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh("true")}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 99)}}, "depends_on": ["builder"] } ],
              "stop_when": { "max_iterations": 2 } }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(1);
        run.State.Ended!.Reason.ShouldBe("max iterations (2) reached with 0 of 1 lgtm verdicts");
        run.State.Verdicts.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_missing_review_is_journaled_as_no_verdict_and_iterates()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "silent", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh("true")}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Sh("true")}}, "depends_on": ["builder"] } ],
              "stop_when": { "max_iterations": 1 } }
            """);

        (await run.LaunchAndWaitAsync()).ShouldBe(1);

        var verdict = run.State.Verdicts.Single();
        verdict.Verdict.ShouldBe("iterate");
        verdict.Source.ShouldBe("no verdict: review.md was not written");
    }

    [Fact]
    public async Task Escalate_pauses_the_fleet_with_exit_3_and_resume_goes_on_to_the_next_iteration()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "escalates", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2, before: "escalate")}}, "depends_on": ["builder"] } ] }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(3);
        run.State.Escalated.ShouldBeTrue();
        run.State.PauseReason.ShouldBe("reason for escalate at 1");
        var (_, status) = await run.FleetAsync("status", run.Root, "--json");
        status.Stdout.ShouldContain("\"state\": \"escalated\"");

        var (resumed, console) = await run.FleetAsync("resume", run.Root, "--wait").SlowTimeout();

        resumed.ShouldBe(0, console.Stderr);
        run.State.Verdicts.Select(v => v.Verdict).ShouldBe(["escalate", "lgtm"]);
        run.Starts.ShouldBe(["builder 1", "reviewer 1", "builder 2", "reviewer 2"]);
    }

    [Fact]
    public async Task Pause_stops_at_the_iteration_boundary_and_resume_goes_on()
    {
        var builder = FleetRun.Sh(FleetRun.RecordStart + "while [ ! -f \"$0/go\" ]; do sleep 0.05; done");
        await using var run = new FleetRun($$"""
            { "fleet_name": "pauses", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{builder}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2)}}, "depends_on": ["builder"] } ] }
            """);
        var (launched, _) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0);
        await run.WaitForAsync(s => s.Worker("builder", 1).Status == WorkerStatus.Started);

        var (paused, _) = await run.FleetAsync("pause", run.Root);
        File.WriteAllText(Path.Combine(run.Root, "go"), "");
        await run.WaitForAsync(s => s.Paused);

        paused.ShouldBe(0);
        run.State.Iteration.ShouldBe(1);
        run.State.Worker("reviewer", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        run.Starts.ShouldBe(["builder 1", "reviewer 1"]);
        var (resumed, _) = await run.FleetAsync("resume", run.Root, "--wait").SlowTimeout();
        resumed.ShouldBe(0);
        run.Starts.ShouldBe(["builder 1", "reviewer 1", "builder 2", "reviewer 2"]);
    }

    [Fact]
    public async Task A_second_launch_of_a_running_fleet_is_refused_and_changes_nothing()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "once", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "slow", "type": "code-run", "command": {{FleetRun.Sh("while [ ! -f \"$0/go\" ]; do sleep 0.05; done")}} } ] }
            """);
        await run.FleetAsync("launch", run.Root, "--no-tmux");
        await run.WaitForAsync(s => s.Worker("slow", 1).Status == WorkerStatus.Started);
        var journalBefore = run.Journal.Count;

        var (code, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("fleet \"once\" is already running (orchestrator pid");
        run.Journal.Count.ShouldBe(journalBefore);
        File.WriteAllText(Path.Combine(run.Root, "go"), "");
        await run.WaitForAsync(s => s.Ended is not null);
        run.State.Ended!.Outcome.ShouldBe("success");
    }

    [Fact]
    public async Task Fleet_ls_lists_launched_fleets_with_their_state_and_keeps_them_after_a_kill()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "listed", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "only", "type": "code-run", "command": {{FleetRun.Sh("true")}} } ] }
            """);
        (await run.LaunchAndWaitAsync()).ShouldBe(0);

        var (code, ls) = await run.FleetAsync("ls");
        var (_, json) = await run.FleetAsync("ls", "--json");
        await run.FleetAsync("kill", run.Root);
        var (_, after) = await run.FleetAsync("ls");

        code.ShouldBe(0);
        ls.Stdout.ShouldContain("listed  done");
        ls.Stdout.ShouldContain(run.Root);
        System.Text.Json.JsonDocument.Parse(json.Stdout).RootElement[0].GetProperty("name").GetString().ShouldBe("listed");
        after.Stdout.ShouldContain("listed  done");
    }

    internal static Dictionary<string, (DateTimeOffset Start, DateTimeOffset End)> Spans(IEnumerable<JournalEntry> journal)
    {
        var entries = journal.ToList();
        return entries.Where(e => e.Type == JournalTypes.WorkerSpawning)
            .ToDictionary(e => e.Worker!, e => (e.Ts, entries.Single(x => x.Type == JournalTypes.WorkerEnded && x.Worker == e.Worker && x.Iteration == e.Iteration).Ts));
    }
}
