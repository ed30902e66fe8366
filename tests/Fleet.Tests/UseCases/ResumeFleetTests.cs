using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

/// <summary>Resume's refusals, and a paused run going on with a stand-in orchestrator (a script that writes its info and exits).</summary>
public sealed class ResumeFleetTests : UseCaseTest
{
    private string StandInOrchestrator()
    {
        var script = Dir.Write("orchestrator", """
            #!/bin/sh
            mkdir -p "$2/.fleet"
            printf '{"pid":%s,"start_time":1,"started_at":"2026-01-01T00:00:00+00:00","log":null,"rehearsal_url":null}' "$$" > "$2/.fleet/orchestrator.json.tmp"
            mv "$2/.fleet/orchestrator.json.tmp" "$2/.fleet/orchestrator.json"
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return script;
    }

    private Task<ResumeFleetResult> ResumeAsync(IReadOnlyList<string> fleetCommand, Action<string>? progress = null) =>
        new ResumeFleet(Host with { Time = TimeProvider.System }, progress)
            .RunAsync(new ResumeFleetRequest(Root, "fleet", fleetCommand), Ct)
            .SlowTimeout();

    [Fact]
    public async Task Resuming_a_root_that_was_never_launched_is_refused_with_exit_2()
    {
        var refused = await Should.ThrowAsync<FleetOperationException>(ResumeAsync(["/nonexistent/fleet-must-not-start"]));

        (refused.ExitCode, refused.Message).ShouldBe((ExitCodes.Usage, "fleet was never launched: fleet launch fleet"));
    }

    [Fact]
    public async Task Resuming_an_ended_run_is_refused_and_leaves_its_journal_and_pause_flag_alone()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = "failed", Reason = "a failed", ExitCode = 1 });
        File.WriteAllText(Layout.PausedFile, "paused\n");
        var journal = File.ReadAllText(Layout.JournalFile);

        var refused = await Should.ThrowAsync<FleetOperationException>(ResumeAsync(["/nonexistent/fleet-must-not-start"]));

        refused.Message.ShouldBe("the run r-1 has ended (failed: a failed); start a new one with fleet launch fleet");
        File.ReadAllText(Layout.JournalFile).ShouldBe(journal);
        File.Exists(Layout.PausedFile).ShouldBeTrue();
    }

    [Fact]
    public async Task Resuming_a_paused_run_journals_the_resume_clears_the_flag_and_starts_an_orchestrator()
    {
        await StartedAsync();
        await JournalAsync(new JournalEntry { Type = JournalTypes.Paused, Iteration = 1, Outcome = "paused", Reason = "paused by a person" });
        File.WriteAllText(Layout.PausedFile, "paused\n");
        var said = new List<string>();

        var resumed = await ResumeAsync([StandInOrchestrator()], said.Add);

        (resumed.Run, resumed.OrchestratorStarted, resumed.ContinuedNow.Count).ShouldBe(("r-1", true, 0));
        resumed.OrchestratorPid.ShouldBe(OrchestratorInfo.TryRead(Layout)!.Pid);
        File.Exists(Layout.PausedFile).ShouldBeFalse();
        var state = FleetRuns.Load(Layout);
        state.Paused.ShouldBeFalse();
        Journal.Read(Layout.JournalFile)[^1].Type.ShouldBe(JournalTypes.Resumed);
        said.ShouldBeEmpty("no worker was limited");
    }

    [Fact]
    public async Task Resuming_continues_limited_workers_now_and_says_so_before_the_orchestrator_starts()
    {
        await StartedAsync();
        await JournalAsync(
            new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "a", Iteration = 1 },
            new JournalEntry { Type = JournalTypes.WorkerLimited, Worker = "a", Iteration = 1, Reason = "usage limit", Until = Now.AddHours(1) });
        var said = new List<string>();

        var resumed = await ResumeAsync([StandInOrchestrator()], said.Add);

        resumed.ContinuedNow.ShouldBe(["a"]);
        File.ReadAllText(Layout.ContinueNowFile).ShouldBe("a\n");
        said.ShouldBe(["continuing now (not waiting for the limit's reset): a"]);
    }
}
