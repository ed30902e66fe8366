using Fleet.Tests.Infrastructure;
using Fleet.Workers;

namespace Fleet.Tests.Orchestration;

/// <summary>Background runs hand an ended worker's shim to its dependent (a warm process) instead of starting a new one.</summary>
public class ShimReuseTests
{
    [Fact]
    public async Task A_chain_runs_on_one_shim_process_with_a_claim_a_view_and_an_exit_json_per_worker_and_the_shim_exits_with_the_run()
    {
        var work = FleetRun.Sh(FleetRun.RecordStart + "echo \"ran $2\"");
        await using var run = new FleetRun($$"""
            { "fleet_name": "chain", "type": "dag", "config": { "provider": "command", "max_concurrent": 1 }, "workers": [
              { "id": "a", "type": "code-run", "command": {{work}} },
              { "id": "b", "type": "code-run", "command": {{work}}, "depends_on": ["a"] },
              { "id": "c", "type": "code-run", "command": {{work}}, "depends_on": ["b"] } ] }
            """);

        (await run.LaunchAndWaitAsync()).ShouldBe(0);

        var dir = run.Layout.IterationDir(1);
        var claims = new[] { "a", "b", "c" }.Select(w => WorkerClaim.TryRead(dir, w).ShouldNotBeNull()).ToList();
        claims.Select(c => c.Shim).Distinct().Count().ShouldBe(1, "b and c ran in a's shim");
        foreach (var worker in new[] { "a", "b", "c" })
        {
            (await WorkerExitRecord.ReadAsync(WorkerFiles.For(dir, worker).ExitJson, TestContext.Current.CancellationToken)).Outcome.ShouldBe(WorkerOutcome.Succeeded);
            File.ReadAllText(WorkerFiles.For(dir, worker).Log).ShouldBe($"ran {worker}\n");
            File.ReadAllText(Path.Combine(dir, worker + ".shim.log")).ShouldContain($"[fleet] {worker} iteration 1 succeeded");
        }

        run.Starts.Order(StringComparer.Ordinal).ShouldBe(["a 1", "b 1", "c 1"]);
        await run.WaitForAsync(_ => !claims[0].Shim.IsAlive, TestTimeouts.Default);
    }

    [Fact]
    public async Task A_worker_with_two_dependents_hands_its_shim_to_one_and_a_new_shim_starts_the_other()
    {
        var work = FleetRun.Sh(FleetRun.RecordStart + "sleep 0.2");
        await using var run = new FleetRun($$"""
            { "fleet_name": "fan", "type": "dag", "config": { "provider": "command", "max_concurrent": 2 }, "workers": [
              { "id": "a", "type": "code-run", "command": {{work}} },
              { "id": "b", "type": "code-run", "command": {{work}}, "depends_on": ["a"] },
              { "id": "c", "type": "code-run", "command": {{work}}, "depends_on": ["a"] } ] }
            """);

        (await run.LaunchAndWaitAsync()).ShouldBe(0);

        var dir = run.Layout.IterationDir(1);
        var shim = new Func<string, Fleet.Processes.ProcessIdentity>(w => WorkerClaim.TryRead(dir, w).ShouldNotBeNull().Shim);
        new[] { shim("b"), shim("c") }.Count(s => s == shim("a")).ShouldBe(1);
        run.Starts.Order(StringComparer.Ordinal).ShouldBe(["a 1", "b 1", "c 1"]);
    }

    [Fact]
    public async Task Iterations_reuse_the_shims_of_the_previous_one_and_every_worker_still_starts_once_per_iteration()
    {
        var work = FleetRun.Sh(FleetRun.RecordStart + "sleep 0.1");
        await using var run = new FleetRun($$"""
            { "fleet_name": "loop", "type": "iterative", "config": { "provider": "command", "max_concurrent": 2 }, "workers": [
              { "id": "a", "type": "code-run", "command": {{work}} },
              { "id": "b", "type": "code-run", "command": {{work}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 3)}}, "depends_on": ["a", "b"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
            """);

        (await run.LaunchAndWaitAsync()).ShouldBe(0);

        run.Starts.Count.ShouldBe(9);
        run.Starts.Distinct().Count().ShouldBe(9);
        var shims = Enumerable.Range(1, 3)
            .SelectMany(n => new[] { "a", "b", "reviewer" }.Select(w => WorkerClaim.TryRead(run.Layout.IterationDir(n), w).ShouldNotBeNull().Shim))
            .Distinct()
            .Count();
        shims.ShouldBeLessThanOrEqualTo(2, "never more shims than max_concurrent");
    }
}
