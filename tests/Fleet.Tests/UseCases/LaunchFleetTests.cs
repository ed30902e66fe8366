using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Spec;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;
using Fleet.Validation;

namespace Fleet.Tests.UseCases;

/// <summary>
/// A launch's refusals: each is exit 2 with what to do, and nothing is started. The fleet command is one that fails
/// the test if it is ever run.
/// </summary>
public sealed class LaunchFleetTests : UseCaseTest
{
    private ResolvedFleet Fleet(string type = "dag")
    {
        Dir.Write("fleet/fleet.json", $$"""
            { "fleet_name": "demo", "type": "{{type}}", "config": { "provider": "command" }, "workers": [
              { "id": "a", "type": "code-run", "task": "t", "command": ["true"] } ] }
            """);
        var validated = FleetValidator.ValidatePath(Root);
        return validated.Fleet ?? throw new InvalidOperationException(string.Join("; ", validated.Errors));
    }

    private Task<LaunchFleetResult> LaunchAsync(ResolvedFleet fleet, bool rehearse = false) =>
        new LaunchFleet(Host with { Time = TimeProvider.System })
            .RunAsync(new LaunchFleetRequest(fleet, "fleet", ["/nonexistent/fleet-must-not-start"]) { Rehearse = rehearse, Tmux = TmuxPreference.Never }, Ct)
            .SlowTimeout();

    private void NothingStarted()
    {
        File.Exists(Layout.JournalFile).ShouldBeFalse("no run was begun");
        OrchestratorInfo.TryRead(Layout).ShouldBeNull("no orchestrator was started");
        new FleetRegistry(Host.UserDirs).List().ShouldBeEmpty("the fleet was not registered");
    }

    [Fact]
    public async Task A_worktree_fleet_outside_a_git_repository_is_refused_and_leaves_the_root_as_it_was()
    {
        var fleet = Fleet("worktree");

        var refused = await Should.ThrowAsync<FleetOperationException>(LaunchAsync(fleet));

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldBe("a worktree fleet runs each task in a git worktree, but fleet is not inside a git repository (git init, and commit); nothing was started");
        Directory.Exists(Layout.StateDir).ShouldBeFalse();
        NothingStarted();
    }

    [Fact]
    public async Task A_rehearsal_whose_script_is_broken_is_refused_and_leaves_the_root_as_it_was()
    {
        var fleet = Fleet();
        Dir.Write("fleet/rehearsal.json", "{ not json");

        var refused = await Should.ThrowAsync<FleetOperationException>(LaunchAsync(fleet, rehearse: true));

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldEndWith("; nothing was started");
        Directory.Exists(Layout.StateDir).ShouldBeFalse();
        NothingStarted();
    }

    [Fact]
    public async Task A_dry_run_checks_the_rehearsal_script_as_the_launch_does()
    {
        var fleet = Fleet();
        Dir.Write("fleet/rehearsal.json", "{ not json");

        (await Should.ThrowAsync<FleetOperationException>(() => LaunchFleet.DryRunAsync(fleet, rehearse: true, codexAppServer: true, TestContext.Current.CancellationToken).DefaultTimeout())).ExitCode.ShouldBe(ExitCodes.Usage);
        (await LaunchFleet.DryRunAsync(fleet, rehearse: false, codexAppServer: true, TestContext.Current.CancellationToken).DefaultTimeout()).Workers.Select(w => w.Worker.Id).ShouldBe(["a"]);
        NothingStarted();
    }

    [Fact]
    public async Task A_failing_precondition_is_refused_with_its_text_and_nothing_is_started()
    {
        var fleet = Fleet();
        Dir.Write("fleet/.fleet/preconditions.json", """[{ "text": "the build is green", "check": ["false"] }]""");

        var refused = await Should.ThrowAsync<FleetOperationException>(LaunchAsync(fleet));

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldContain("the build is green");
        refused.Message.ShouldEndWith("nothing was started (the preconditions are in .fleet/preconditions.json)");
        NothingStarted();
    }

    [Fact]
    public async Task A_root_whose_last_run_has_not_ended_is_refused_with_resume_or_kill_and_no_orchestrator_is_started()
    {
        var fleet = Fleet();
        await StartedAsync("r-old");
        var journal = File.ReadAllText(Layout.JournalFile);

        var refused = await Should.ThrowAsync<FleetOperationException>(LaunchAsync(fleet));

        refused.ExitCode.ShouldBe(ExitCodes.Usage);
        refused.Message.ShouldBe("the last run of \"demo\" (r-old) has not ended: continue it with fleet resume fleet, or end it with fleet kill fleet; nothing was started");
        File.ReadAllText(Layout.JournalFile).ShouldBe(journal);
        OrchestratorInfo.TryRead(Layout).ShouldBeNull();
        new FleetRegistry(Host.UserDirs).List().ShouldBeEmpty();
    }
}
