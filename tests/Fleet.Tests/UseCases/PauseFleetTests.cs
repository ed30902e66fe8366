using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

public sealed class PauseFleetTests : UseCaseTest
{
    private Task<PauseFleetResult> PauseAsync() => new PauseFleet(Host).RunAsync(new PauseFleetRequest(Root, "fleet"), Ct).DefaultTimeout();

    [Fact]
    public async Task Pausing_a_running_fleet_leaves_the_pause_flag_with_the_time_and_names_the_iteration_it_stops_after()
    {
        await StartedAsync(iteration: 2, fleetType: "iterative");

        var paused = await PauseAsync();

        paused.ShouldBe(new PauseFleetResult("r-1", 2, "the fleet stops after iteration 2 ends (running workers finish)"));
        File.ReadAllText(Layout.PausedFile).ShouldBe("paused by a person at 2026-03-01T12:00:00.0000000+00:00\n");
    }

    [Theory]
    [InlineData("dag")]
    [InlineData("worktree")]
    public async Task Pausing_a_dag_or_worktree_fleet_says_it_starts_no_new_worker_not_an_iteration_boundary(string type)
    {
        await StartedAsync(fleetType: type);

        (await PauseAsync()).Effect.ShouldBe("the fleet starts no new worker; running workers finish, then it pauses");
    }

    [Fact]
    public async Task Pausing_writes_no_journal_entry_the_orchestrator_journals_the_pause_when_it_takes_it()
    {
        await StartedAsync();
        var before = File.ReadAllText(Layout.JournalFile);

        await PauseAsync();

        File.ReadAllText(Layout.JournalFile).ShouldBe(before);
    }

    [Fact]
    public async Task Pausing_a_fleet_that_was_never_launched_is_refused_with_exit_2_and_leaves_no_flag()
    {
        var refused = await Should.ThrowAsync<FleetOperationException>(PauseAsync());

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldBe("fleet has no running fleet to pause");
        File.Exists(Layout.PausedFile).ShouldBeFalse();
    }

    [Fact]
    public async Task Pausing_a_fleet_whose_run_has_ended_is_refused_and_leaves_no_flag()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "success", Reason = "done", ExitCode = 0 });

        await Should.ThrowAsync<FleetOperationException>(PauseAsync());

        File.Exists(Layout.PausedFile).ShouldBeFalse();
    }

    [Fact]
    public async Task Pausing_a_folder_that_does_not_exist_is_refused_as_no_such_folder()
    {
        var refused = await Should.ThrowAsync<FleetOperationException>(
            new PauseFleet(Host).RunAsync(new PauseFleetRequest(Dir.Combine("gone"), "gone"), Ct).DefaultTimeout());

        refused.Message.ShouldBe("gone: no such folder");
        refused.ExitCode.ShouldBe(ExitCodes.Usage);
    }
}
