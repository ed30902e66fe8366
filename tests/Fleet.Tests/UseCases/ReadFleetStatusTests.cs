using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

public sealed class ReadFleetStatusTests : UseCaseTest
{
    private async Task<FleetStatus> ReadAsync() =>
        (await new ReadFleetStatus(Host).RunAsync(new ReadFleetStatusRequest(Root, "fleet"), Ct).DefaultTimeout()).Status;

    [Fact]
    public async Task A_run_whose_orchestrator_is_gone_is_read_from_its_journal_alone()
    {
        await StartedAsync();
        await JournalAsync(
            new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "a", Iteration = 1 },
            new JournalEntry { Type = JournalTypes.WorkerEnded, Worker = "a", Iteration = 1, Outcome = "succeeded", CostUsd = 0.25m, ExitCode = 0 },
            new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "b", Iteration = 1 });

        var status = await ReadAsync();

        (status.Name, status.RunId, status.State, status.Iteration, status.Spent).ShouldBe(("demo", "r-1", "orchestrator not running", 1, 0.25m));
        status.Workers.Select(w => (w.Worker, w.State)).ShouldBe([("a", "succeeded"), ("b", "starting")]);
        status.ReadAt.ShouldBe(Now);
    }

    private async Task DeadClaimAsync(string worker, DateTimeOffset agentStartedAt)
    {
        // Pid 4194303 with start time 1: the kernel's highest pid, never this process, so the claim's processes are gone.
        var dir = Layout.IterationDir(1);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(
            Path.Combine(dir, worker + ".run.json"),
            $$"""{ "shim_pid": 4194303, "shim_start_time": 1, "agent_pid": 4194303, "agent_start_time": 1, "agent_started_at": "{{agentStartedAt:O}}", "agent_starting": true }""",
            Ct);
    }

    [Fact]
    public async Task After_a_kill_a_worker_without_an_exit_record_reads_as_killed_for_the_time_it_ran_and_a_pending_one_as_not_started()
    {
        await StartedAsync();
        await JournalAsync(
            new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "a", Iteration = 1, Ts = Now.AddSeconds(-60) },
            new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "killed", Reason = "killed by a person (fleet kill)", Ts = Now.AddSeconds(-20) });
        await DeadClaimAsync("a", Now.AddSeconds(-50));
        await File.WriteAllTextAsync(Layout.LaunchFile, """{ "fleet_name": "demo", "type": "dag", "workers": [ { "id": "a", "type": "code-run", "task": "t" }, { "id": "b", "type": "code-run", "task": "t", "depends_on": ["a"] } ] }""", Ct);

        var status = await ReadAsync();

        status.State.ShouldBe("killed");
        status.Workers.Select(w => (w.Worker, w.State, w.DurationSeconds, w.Reason)).ShouldBe([
            ("a", "killed", 30.0, "killed by a person (fleet kill)"),
            ("b", "not started", null, "the fleet was killed first")]);
    }

    [Fact]
    public async Task A_worker_whose_exit_record_is_not_yet_journaled_reads_as_its_record_says()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "a", Iteration = 1 });
        await DeadClaimAsync("a", Now.AddSeconds(-50));
        var record = new Fleet.Workers.WorkerExitRecord { Worker = "a", Iteration = 1, ExitCode = 1, StartedAt = Now.AddSeconds(-50), EndedAt = Now.AddSeconds(-8), Outcome = Fleet.Workers.WorkerOutcome.Failed, CostUsd = 0.5m, Error = "tests failed" };
        await record.WriteAtomicallyAsync(Path.Combine(Layout.IterationDir(1), "a.exit.json"), Ct);

        var status = await ReadAsync();

        status.Workers.Single().ShouldSatisfyAllConditions(
            w => (w.State, w.DurationSeconds, w.CostUsd, w.Reason).ShouldBe(("failed", 42.0, 0.5m, "tests failed")));
    }

    [Fact]
    public async Task A_worker_whose_processes_are_gone_with_no_record_and_no_orchestrator_reads_as_lost_with_the_way_on()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "a", Iteration = 1 });
        await DeadClaimAsync("a", Now.AddSeconds(-50));

        var first = (await ReadAsync()).Workers.Single();
        var later = (await ReadAsync()).Workers.Single();

        (first.State, first.DurationSeconds).ShouldBe(("lost", null));
        first.Reason.ShouldBe("its processes are gone and no orchestrator records it: fleet resume ROOT does");
        later.ShouldBe(first);
    }

    [Fact]
    public async Task A_pause_asked_of_a_running_fleet_reads_as_pausing_until_the_orchestrator_takes_it()
    {
        await StartedAsync();
        await File.WriteAllTextAsync(Layout.PausedFile, "paused by a person\n", Ct);
        // This test's own process stands in for a live orchestrator.
        var self = Fleet.Processes.ProcessIdentity.TryCapture(Environment.ProcessId)!;
        await File.WriteAllTextAsync(OrchestratorInfo.PathFor(Layout), $$"""{ "pid": {{self.Pid}}, "start_time": {{self.StartTime}}, "started_at": "{{Now:O}}" }""", Ct);

        var status = await ReadAsync();

        (status.State, status.Why).ShouldBe(("pausing", "a person asked for a pause: the fleet starts no new worker; running workers finish, then it pauses"));
    }

    [Fact]
    public async Task A_paused_run_reads_as_paused_with_its_reason()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.Paused, Iteration = 1, Outcome = "paused", Reason = "paused by a person" });

        var status = await ReadAsync();

        (status.State, status.Why).ShouldBe(("paused", "paused by a person"));
    }

    [Fact]
    public async Task A_root_that_was_never_launched_reads_as_not_launched_under_its_folder_name()
    {
        await File.WriteAllTextAsync(Layout.FleetFile, "{}", Ct);

        var status = await ReadAsync();

        (status.Name, status.State, status.RunId).ShouldBe(("fleet", "not launched", null));
    }

    [Fact]
    public async Task Reading_a_folder_with_no_fleet_json_and_no_run_is_refused_as_no_fleet_here()
    {
        var empty = Dir.Combine("empty");
        Directory.CreateDirectory(empty);

        var refused = await Should.ThrowAsync<FleetOperationException>(
            new ReadFleetStatus(Host).RunAsync(new ReadFleetStatusRequest(empty, "empty"), Ct).DefaultTimeout());

        (refused.ExitCode, refused.Message).ShouldBe((ExitCodes.Usage, "empty: no fleet here: no fleet.json and no run (create one with: fleet init empty)"));
    }

    [Fact]
    public async Task Reading_a_folder_that_does_not_exist_is_refused_as_no_such_folder()
    {
        var refused = await Should.ThrowAsync<FleetOperationException>(
            new ReadFleetStatus(Host).RunAsync(new ReadFleetStatusRequest(Dir.Combine("gone"), "gone"), Ct).DefaultTimeout());

        (refused.ExitCode, refused.Message).ShouldBe((ExitCodes.Usage, "gone: no such folder"));
    }

    [Fact]
    public async Task The_list_holds_every_registered_fleet_and_no_status_for_one_whose_folder_is_gone()
    {
        await StartedAsync();
        var registry = new FleetRegistry(Host.UserDirs);
        registry.Register(Root, "demo", TimeProvider.System);
        registry.Register(Dir.Combine("gone"), "gone", TimeProvider.System);

        var fleets = await new ReadFleetStatus(Host).ListAsync(Ct).DefaultTimeout();

        fleets.Select(f => (f.Entry.Name, f.Status?.State)).OrderBy(f => f.Name, StringComparer.Ordinal).ShouldBe([("demo", "orchestrator not running"), ("gone", null)]);
    }
}
