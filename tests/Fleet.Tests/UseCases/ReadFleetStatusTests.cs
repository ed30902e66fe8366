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
