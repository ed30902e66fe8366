using Fleet.Orchestration;
using Fleet.Placement;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Workers;

namespace Fleet.Tests.Slurm;

/// <summary>Fleets whose workers run as batch jobs on the loopback Slurm cluster (scripts/slurm-cluster.sh): real sbatch, squeue, scancel.</summary>
[Collection(SlurmCluster.Collection)]
public sealed class SlurmPlacementTests
{
    /// <summary>A fleet name no earlier run used: squeue remembers ended jobs for minutes, by name.</summary>
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A command worker that records its start and its node, then sleeps.</summary>
    private static string Sleeper(double seconds) =>
        FleetRun.Sh(FleetRun.RecordStart + $"echo \"$2 $SLURMD_NODENAME $SLURM_JOB_ID\" >> \"$0/nodes.txt\"; sleep {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    private static async Task<FleetRun> StartAsync(string json)
    {
        var conf = await SlurmCluster.RequireAsync();
        var run = new FleetRun(json);
        run.Environment["SLURM_CONF"] = conf;
        return run;
    }

    private static IReadOnlyList<WorkerClaim> Claims(FleetRun run) =>
        [.. FleetKiller.Claims(run.Layout).Select(c => WorkerClaim.TryRead(c.IterationDir, c.Worker)).OfType<WorkerClaim>()];

    [Fact]
    public async Task A_dag_fleet_runs_its_workers_as_jobs_across_the_nodes_and_each_claim_names_its_node_and_job()
    {
        var name = UniqueName("spread");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "max_concurrent": 4, "placement": "slurm" }, "workers": [
              { "id": "a", "type": "code-run", "command": {{Sleeper(3)}} },
              { "id": "b", "type": "code-run", "command": {{Sleeper(3)}} },
              { "id": "c", "type": "code-run", "command": {{Sleeper(3)}} },
              { "id": "d", "type": "code-run", "command": {{Sleeper(0)}}, "depends_on": ["a", "b", "c"] } ] }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(0, string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}")));
        run.Starts.Order().ShouldBe(["a 1", "b 1", "c 1", "d 1"]);
        var claims = Claims(run);
        claims.Count.ShouldBe(4);
        claims.ShouldAllBe(c => c.SlurmJobId != null && c.SlurmNode != null);
        claims.Select(c => c.SlurmNode).Distinct().Count().ShouldBeGreaterThanOrEqualTo(2, string.Join(", ", claims.Select(c => c.SlurmNode)));
        // A job whose batch script has exited is COMPLETING until slurmd has cleaned up; that ends on Slurm's time, not the run's.
        IReadOnlyList<SlurmJobInfo> jobs = [];
        await WaitForAsync(async () => (jobs = await SlurmCluster.JobsAsync($"fleet:{name}:")).All(j => !SlurmJobStates.Map(j).Alive));
        jobs.Count.ShouldBe(4);
        jobs.ShouldAllBe(j => j.State == "COMPLETED");
        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "d.slurm.json")).ShouldContain("\"job_name\": \"fleet:" + name + ":d:1\"");
    }

    [Fact]
    public async Task A_node_taken_down_mid_run_fails_its_worker_with_the_reason_and_no_job_is_requeued()
    {
        var name = UniqueName("nodefail");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "max_concurrent": 2, "placement": "slurm" }, "workers": [
              { "id": "doomed", "type": "code-run", "command": {{Sleeper(120)}} },
              { "id": "after", "type": "code-run", "command": {{Sleeper(0)}}, "depends_on": ["doomed"] } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        string? node = null;
        await WaitForAsync(() => (node = WorkerClaim.TryRead(run.Layout.IterationDir(1), "doomed")?.SlurmNode) is not null && WorkerClaim.TryRead(run.Layout.IterationDir(1), "doomed")?.AgentPid is not null);
        try
        {
            (await SlurmCluster.Run(["scontrol", "update", $"nodename={node}", "state=down", "reason=fleet-test"])).Succeeded.ShouldBeTrue();

            await run.WaitForAsync(s => s.Ended is not null);

            var doomed = run.State.Worker("doomed", 1);
            doomed.Status.ShouldBe(WorkerStatus.Failed);
            doomed.Reason!.ShouldContain($"NODE_FAIL on {node}");
            doomed.Reason!.ShouldContain("never requeued");
            run.State.Worker("after", 1).Status.ShouldBe(WorkerStatus.Skipped);
            var jobs = await SlurmCluster.JobsAsync($"fleet:{name}:");
            jobs.Count.ShouldBe(1);
            jobs[0].State.ShouldBe("NODE_FAIL");
            run.Starts.ShouldBe(["doomed 1"]);
            var exit = await WorkerExitRecord.TryReadAsync(run.Layout.IterationDir(1), "doomed", TestContext.Current.CancellationToken);
            exit!.IsError.ShouldBeTrue();
        }
        finally
        {
            await SlurmCluster.Run(["scontrol", "update", $"nodename={node}", "state=resume"]);
        }
    }

    [Fact]
    public async Task After_a_kill_9_of_the_orchestrator_resume_re_adopts_the_jobs_and_submits_and_starts_nothing_twice()
    {
        var name = UniqueName("readopt");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "max_concurrent": 3, "placement": "slurm" }, "workers": [
              { "id": "a", "type": "code-run", "command": {{Sleeper(6)}} },
              { "id": "b", "type": "code-run", "command": {{Sleeper(6)}} },
              { "id": "c", "type": "code-run", "command": {{Sleeper(1)}}, "depends_on": ["a", "b"] } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        await WaitForAsync(() => File.Exists(Path.Combine(run.Root, "iterations", "1", "a.slurm.json")) && File.Exists(Path.Combine(run.Root, "iterations", "1", "b.slurm.json")));

        var orchestrator = OrchestratorInfo.Running(run.Layout)!;
        orchestrator.Identity.Signal(Fleet.Processes.UnixSignal.SIGKILL);
        await WaitForAsync(() => !orchestrator.Identity.IsAlive);
        var (resumed, resumeConsole) = await run.FleetAsync("resume", run.Root, "--wait").SlowTimeout();

        resumed.ShouldBe(0, resumeConsole.Stdout + resumeConsole.Stderr);
        run.Starts.Order().ShouldBe(["a 1", "b 1", "c 1"]);
        var jobs = await SlurmCluster.JobsAsync($"fleet:{name}:");
        jobs.Select(j => j.Name).Order().ShouldBe([$"fleet:{name}:a:1", $"fleet:{name}:b:1", $"fleet:{name}:c:1"]);
    }

    [Fact]
    public async Task Fleet_kill_all_force_leaves_no_job_in_squeue_and_no_process_of_the_fleet()
    {
        var name = UniqueName("killed");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "max_concurrent": 3, "placement": "slurm" }, "workers": [
              { "id": "a", "type": "code-run", "command": {{FleetRun.Sh("sh -c 'sleep 300' & sleep 300")}} },
              { "id": "b", "type": "code-run", "command": {{Sleeper(300)}} } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        await WaitForAsync(() => Claims(run) is { Count: 2 } claims && claims.All(c => c.AgentPid is not null));
        var tokens = Claims(run).Select(c => c.Token!).ToList();

        var (killed, killConsole) = await run.FleetAsync("kill", run.Root, "all", "--force");

        killed.ShouldBe(0, killConsole.Stderr);
        (await SlurmCluster.JobsAsync($"fleet:{name}:")).ShouldAllBe(j => !SlurmJobStates.Map(j).Alive);
        var table = Fleet.Processes.ProcessTable.Capture();
        table.ValuesOf(WorkerToken.Variable).Values.ShouldNotContain(t => tokens.Contains(t));
        OrchestratorInfo.Running(run.Layout).ShouldBeNull();
    }

    private static Task WaitForAsync(Func<bool> condition) => WaitForAsync(() => Task.FromResult(condition()));

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("the condition never held");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
