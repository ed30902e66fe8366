using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

public sealed class KillFleetTests : UseCaseTest
{
    [Fact]
    public async Task Killing_a_worker_that_never_ran_is_refused_with_exit_2_and_journals_nothing()
    {
        await StartedAsync();
        var before = File.ReadAllText(Layout.JournalFile);

        var refused = await Should.ThrowAsync<FleetOperationException>(
            new KillFleet(Host).RunAsync(new KillFleetRequest(Root, "fleet") { Worker = "ghost" }, Ct).SlowTimeout());

        (refused.ExitCode, refused.Message).ShouldBe((ExitCodes.Usage, "no worker \"ghost\" has run in fleet"));
        File.ReadAllText(Layout.JournalFile).ShouldBe(before);
    }

    [Fact]
    public async Task Killing_a_whole_fleet_keeps_it_on_the_users_list_and_removes_a_pause_that_no_longer_applies()
    {
        await StartedAsync();
        var registry = new FleetRegistry(Host.UserDirs);
        registry.Register(Root, "demo", TimeProvider.System);
        await File.WriteAllTextAsync(Layout.PausedFile, "paused by a person\n", Ct);

        var killed = await new KillFleet(Host).RunAsync(new KillFleetRequest(Root, "fleet"), Ct).SlowTimeout();

        killed.Worker.ShouldBeNull();
        killed.Actions.ShouldNotContain(a => a.What.StartsWith("tmux", StringComparison.Ordinal), "the test's tmux server holds no session");
        registry.List().Select(e => e.Root).ShouldBe([Root], "fleet ls shows a killed fleet as killed");
        File.Exists(Layout.PausedFile).ShouldBeFalse();
    }

    [Fact]
    public async Task Killing_one_worker_leaves_the_fleet_on_the_users_list()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "a", Iteration = 1 });
        var registry = new FleetRegistry(Host.UserDirs);
        registry.Register(Root, "demo", TimeProvider.System);

        var killed = await new KillFleet(Host).RunAsync(new KillFleetRequest(Root, "fleet") { Worker = "a" }, Ct).SlowTimeout();

        killed.Worker.ShouldBe("a");
        registry.List().Select(e => e.Name).ShouldBe(["demo"]);
    }
}
