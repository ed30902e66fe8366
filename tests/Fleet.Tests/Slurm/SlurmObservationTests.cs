using System.Text.Json;
using Fleet.Placement;
using Fleet.Processes;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Workers;

namespace Fleet.Tests.Slurm;

/// <summary>
/// A slurm worker seen from outside the orchestrator: status, ls and the inbox take a remote shim's liveness from its
/// job, and a node whose slurmd dies fails its worker with the reason. Against the loopback cluster.
/// </summary>
[Collection(SlurmCluster.Collection)]
public sealed class SlurmObservationTests
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";

    private static string Sleeper(double seconds) =>
        FleetRun.Sh(FleetRun.RecordStart + $"sleep {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    private static async Task<FleetRun> StartAsync(string json)
    {
        var conf = await SlurmCluster.RequireAsync();
        var run = new FleetRun(json);
        run.Environment["SLURM_CONF"] = conf;
        return run;
    }

    [Fact]
    public async Task A_held_slurm_worker_shows_queued_on_slurm_with_its_job_and_runs_once_released()
    {
        var name = UniqueName("held");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "placement": "slurm", "slurm": { "extra_args": ["--hold"] } },
              "workers": [ { "id": "a", "type": "code-run", "command": {{Sleeper(0)}} } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        SlurmJobRecord? record = null;
        await WaitForAsync(() => (record = SlurmJobRecord.TryRead(SlurmJob.RecordPath(run.Layout.IterationDir(1), "a"))) is not null);

        var (code, status) = await run.FleetAsync("status", run.Root, "--json");
        var (_, text) = await run.FleetAsync("status", run.Root);
        (await SlurmCluster.Run(["scontrol", "release", record!.JobId])).Succeeded.ShouldBeTrue();
        await run.WaitForAsync(s => s.Ended is not null);

        code.ShouldBe(0, status.Stderr);
        var worker = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("workers")[0];
        worker.GetProperty("state").GetString().ShouldBe("queued");
        worker.GetProperty("slurm").GetString().ShouldBe($"queued on slurm: JobHeldUser (job {record.JobId})");
        text.Stdout.ShouldContain($"queued on slurm: JobHeldUser (job {record.JobId})");
        run.State.Ended!.Outcome.ShouldBe("success");
        run.Starts.ShouldBe(["a 1"]);
    }

    [Fact]
    public async Task Status_ls_and_the_inbox_read_where_this_machine_cannot_see_the_shim_call_a_running_slurm_worker_running_on_its_node()
    {
        var name = UniqueName("remote");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "placement": "slurm" },
              "workers": [ { "id": "a", "type": "code-run", "command": {{Sleeper(120)}} } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        WorkerClaim? claim = null;
        await WaitForAsync(() => (claim = WorkerClaim.TryRead(run.Layout.IterationDir(1), "a")) is { AgentPid: not null, SlurmNode: not null });

        // A pid namespace of its own with its own /proc: the shim's pid is not there, as on another machine.
        var hidden = await ElsewhereAsync(run, "sh", "-c", $"test -e /proc/{claim!.ShimPid} && echo visible || echo hidden");
        var status = await ElsewhereAsync(run, [.. RepoPaths.FleetArgv, "status", run.Root, "--json"]);
        var list = await ElsewhereAsync(run, [.. RepoPaths.FleetArgv, "ls", "--json"]);

        hidden.Stdout.Trim().ShouldBe("hidden");
        status.ExitCode.ShouldBe(0, status.Stderr);
        var worker = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("workers")[0];
        worker.GetProperty("state").GetString().ShouldBe("running", status.Stdout);
        worker.GetProperty("slurm").GetString().ShouldBe($"slurm job {claim.SlurmJobId} running on {claim.SlurmNode}");
        list.ExitCode.ShouldBe(0, list.Stderr);
        list.Stdout.ShouldContain(run.Root);
        list.Stdout.ShouldNotContain("lost");
        run.State.Worker("a", 1).Status.ShouldBe(WorkerStatus.Started);
    }

    [Fact]
    public async Task A_node_whose_slurmd_is_killed_fails_its_worker_naming_the_node_failure_requeues_nothing_and_leaves_no_process()
    {
        var name = UniqueName("slurmd");
        await using var run = await StartAsync($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "max_concurrent": 2, "placement": "slurm" }, "workers": [
              { "id": "doomed", "type": "code-run", "command": {{Sleeper(300)}} },
              { "id": "after", "type": "code-run", "command": {{Sleeper(0)}}, "depends_on": ["doomed"] } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        WorkerClaim? claim = null;
        await WaitForAsync(() => (claim = WorkerClaim.TryRead(run.Layout.IterationDir(1), "doomed")) is { AgentPid: not null, SlurmNode: not null, Token: not null });
        var node = claim!.SlurmNode!;
        try
        {
            var slurmd = SlurmdOf(node).ShouldNotBeNull($"no slurmd -N {node} on this machine");
            slurmd.Signal(UnixSignal.SIGKILL);
            await WaitForAsync(() => !slurmd.IsAlive);
            (await SlurmCluster.Run(["scontrol", "update", $"nodename={node}", "state=down", "reason=fleet-test-slurmd-killed"])).Succeeded.ShouldBeTrue();

            await run.WaitForAsync(s => s.Ended is not null);

            var doomed = run.State.Worker("doomed", 1);
            doomed.Status.ShouldBe(WorkerStatus.Failed);
            doomed.Reason!.ShouldContain($"NODE_FAIL on {node}");
            doomed.Reason!.ShouldContain("never requeued");
            run.State.Worker("after", 1).Status.ShouldBe(WorkerStatus.Skipped);
            var jobs = await SlurmCluster.JobsAsync($"fleet:{name}:");
            jobs.Select(j => (j.Name, j.State)).ShouldBe([($"fleet:{name}:doomed:1", "NODE_FAIL")]);
            run.Starts.ShouldBe(["doomed 1"]);
        }
        finally
        {
            await RestoreClusterAsync();
        }

        // The node's slurmd, back, ends what the failed job left running on it: nothing of the worker is left.
        await WaitForAsync(() => !ProcessTable.Capture().ValuesOf(WorkerToken.Variable).Values.Contains(claim.Token));
        (await SlurmCluster.JobsAsync($"fleet:{name}:")).Count.ShouldBe(1, "nothing was submitted again");
    }

    /// <summary>The slurmd started with <c>-N NODE</c> on this machine (the loopback cluster's nodes are its processes).</summary>
    private static ProcessIdentity? SlurmdOf(string node)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                continue;
            }

            var n = Array.IndexOf(argv, "-N");
            if (argv.Length > 0 && Path.GetFileName(argv[0]) == "slurmd" && n >= 0 && n + 1 < argv.Length && argv[n + 1] == node)
            {
                return ProcessIdentity.TryCapture(pid);
            }
        }

        return null;
    }

    /// <summary>Starts any slurmd that is missing and resumes down nodes (the cluster script's idempotent up), so later tests find 3 nodes.</summary>
    private static async Task RestoreClusterAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "slurm-cluster.sh");
        var result = await CommandRunner.For(["bash", script, "up"])
            .WithEnvironment([new("FLEET_SLURM_DIR", Path.GetDirectoryName(SlurmCluster.Conf)), new("SLURM_CONF", SlurmCluster.Conf)])
            .WithTimeout(TimeSpan.FromSeconds(90))
            .ExecuteBufferedAsync(CancellationToken.None);
        result.Succeeded.ShouldBeTrue($"the cluster was not restored: {result.Stdout}{result.Stderr}");
    }

    /// <summary>Runs a command in a new pid namespace with its own /proc: this machine's processes are out of its sight, as on another machine.</summary>
    private static async Task<CommandResult> ElsewhereAsync(FleetRun run, params IReadOnlyList<string> argv)
    {
        return await CommandRunner.For(["unshare", "--pid", "--fork", "--mount-proc", .. argv])
            .WithEnvironment([new("SLURM_CONF", SlurmCluster.Conf), new("FLEET_HOME", Path.Combine(run.Dir.Path, ".fleet-home"))])
            .WithTimeout(TestTimeouts.Slow)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
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
