using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Workers;

namespace Fleet.Tests.Orchestration;

/// <summary>A journal that cannot lie: deleted, replaced or torn, a real orchestrator says so instead of writing a new story.</summary>
public sealed class JournalIntegrityTests
{
    // One command worker that says it started, then waits until the test lets it end (bounded, so nothing outlives a failure).
    private const string SlowFleet = """
        { "fleet_name": "journal", "type": "dag", "config": { "provider": "command" }, "workers": [
          { "id": "slow", "type": "code-run", "command": ["sh", "-c", "touch \"$0/started\"; i=0; while [ ! -f \"$0/release\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done", "{root}"] } ] }
        """;

    [Fact]
    public async Task An_append_after_a_torn_line_starts_on_a_line_of_its_own_and_readers_report_the_fragment()
    {
        using var dir = new TempDir();
        var path = dir.Combine("journal.jsonl");
        File.WriteAllText(path, "{\"ts\":\"2026-01-01T00:00:00+00:00\",\"type\":\"run_started\",\"run\":\"r-1\"}\n{\"ts\":\"2026-01-01T00:00:01+00:00\",\"ty");

        await new Journal(path, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.OrchestratorStarted, Run = "r-1", Pid = 42 }, TestContext.Current.CancellationToken);

        var contents = Journal.ReadAll(path);
        contents.Entries.Select(e => e.Type).ShouldBe([JournalTypes.RunStarted, JournalTypes.OrchestratorStarted]);
        contents.Entries[1].Pid.ShouldBe(42);
        contents.Skipped.ShouldHaveSingleItem().Line.ShouldBe(2);
        contents.Skipped[0].Text.ShouldBe("{\"ts\":\"2026-01-01T00:00:01+00:00\",\"ty");
    }

    [Fact]
    public async Task A_pinned_journal_that_was_deleted_refuses_appends_and_creates_no_new_file()
    {
        using var dir = new TempDir();
        var path = dir.Combine("journal.jsonl");
        var journal = new Journal(path, TimeProvider.System, ".fleet/journal.jsonl");
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = "r-1" }, TestContext.Current.CancellationToken);
        journal.Pin();
        File.Delete(path);

        var e = await Should.ThrowAsync<JournalLostException>(() => journal.AppendAsync(new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = 1 }, TestContext.Current.CancellationToken));

        e.Message.ShouldBe("journal missing: .fleet/journal.jsonl was deleted while the run was going");
        File.Exists(path).ShouldBeFalse();
    }

    [Fact]
    public async Task A_pinned_journal_replaced_by_another_file_refuses_appends_and_leaves_the_other_file_alone()
    {
        using var dir = new TempDir();
        var path = dir.Combine("journal.jsonl");
        var journal = new Journal(path, TimeProvider.System, ".fleet/journal.jsonl");
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = "r-1" }, TestContext.Current.CancellationToken);
        journal.Pin();
        File.Copy(path, path + ".copy");
        File.Move(path + ".copy", path, overwrite: true);
        var before = File.ReadAllText(path);

        var e = Should.Throw<JournalLostException>(() => journal.EnsureIntact());

        e.Message.ShouldStartWith("journal replaced: .fleet/journal.jsonl was replaced while the run was going");
        await Should.ThrowAsync<JournalLostException>(() => journal.AppendAsync(new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = 1 }, TestContext.Current.CancellationToken));
        File.ReadAllText(path).ShouldBe(before);
    }

    [Fact]
    public async Task Deleting_the_journal_mid_run_stops_the_orchestrator_with_its_error_status_says_so_and_the_worker_goes_on()
    {
        await using var run = new FleetRun(SlowFleet);
        var orchestrator = await LaunchAndWaitForTheWorkerAsync(run);

        File.Delete(run.Layout.JournalFile);

        await WaitForExitAsync(orchestrator);
        File.Exists(run.Layout.JournalFile).ShouldBeFalse("the orchestrator wrote a new, headless journal");
        var log = await File.ReadAllTextAsync(Path.Combine(run.Layout.StateDir, FleetRuns.LaunchLog), TestContext.Current.CancellationToken);
        log.ShouldContain("journal lost: journal missing: .fleet/journal.jsonl was deleted while the run was going");

        var (code, status) = await run.FleetAsync("status", run.Root);
        code.ShouldBe(0);
        status.Stdout.ShouldContain(": journal lost");
        status.Stdout.ShouldContain("why: journal missing: .fleet/journal.jsonl was deleted while the run was going");

        var (resumeCode, resume) = await run.FleetAsync("resume", run.Root);
        resumeCode.ShouldBe(2);
        resume.Stderr.ShouldContain("journal missing: .fleet/journal.jsonl was deleted while the run was going; the run cannot be resumed from it");

        await TheWorkerWasNotKilledAsync(run);
    }

    [Fact]
    public async Task Replacing_the_journal_mid_run_stops_the_orchestrator_and_nothing_is_written_to_the_new_file()
    {
        await using var run = new FleetRun(SlowFleet);
        var orchestrator = await LaunchAndWaitForTheWorkerAsync(run);
        var copy = run.Layout.JournalFile + ".copy";
        File.Copy(run.Layout.JournalFile, copy);
        File.Move(copy, run.Layout.JournalFile, overwrite: true);
        var replaced = await File.ReadAllTextAsync(run.Layout.JournalFile, TestContext.Current.CancellationToken);

        await WaitForExitAsync(orchestrator);

        (await File.ReadAllTextAsync(run.Layout.JournalFile, TestContext.Current.CancellationToken)).ShouldBe(replaced);
        var (_, status) = await run.FleetAsync("status", run.Root, "--json");
        status.Stdout.ShouldContain("\"state\": \"journal lost\"");
        status.Stdout.ShouldContain("journal replaced: .fleet/journal.jsonl was replaced while the run was going");
        await TheWorkerWasNotKilledAsync(run);
    }

    [Fact]
    public async Task After_a_torn_tail_the_resumed_orchestrators_first_record_is_readable_and_status_reports_the_fragment()
    {
        await using var run = new FleetRun(SlowFleet);
        var orchestrator = await LaunchAndWaitForTheWorkerAsync(run);

        // A crash mid-write: the orchestrator dies, its last line half on disk.
        using (var process = System.Diagnostics.Process.GetProcessById(orchestrator.Pid))
        {
            process.Kill();
        }

        await WaitForExitAsync(orchestrator);
        var linesBefore = File.ReadAllLines(run.Layout.JournalFile).Length;
        await File.AppendAllTextAsync(run.Layout.JournalFile, "{\"ts\":\"2026-12-07T04:00:00+00:00\",\"type\":\"worker_en", TestContext.Current.CancellationToken);

        var (resumeCode, resume) = await run.FleetAsync("resume", run.Root);
        resumeCode.ShouldBe(0, resume.Stderr);
        await WaitUntilAsync(() => run.Journal.Count(e => e.Type == JournalTypes.OrchestratorStarted) == 2, "the resumed orchestrator never started");
        File.WriteAllText(Path.Combine(run.Root, "release"), "");
        await run.WaitForAsync(s => s.Ended is not null);

        var contents = Journal.ReadAll(run.Layout.JournalFile);
        contents.Skipped.ShouldHaveSingleItem().Line.ShouldBe(linesBefore + 1);
        var resumed = contents.Entries.Where(e => e.Type == JournalTypes.OrchestratorStarted).Last();
        resumed.Pid.ShouldNotBe(orchestrator.Pid);
        File.ReadAllLines(run.Layout.JournalFile)[linesBefore + 1].ShouldContain("\"type\":\"orchestrator_started\"");
        run.State.Ended!.Outcome.ShouldBe("success");

        var (_, status) = await run.FleetAsync("status", run.Root);
        status.Stdout.ShouldContain($"warning: .fleet/journal.jsonl:{linesBefore + 1}: skipped a line that is not a journal entry");
        status.Stdout.ShouldContain(": done");
    }

    private static async Task<OrchestratorInfo> LaunchAndWaitForTheWorkerAsync(FleetRun run)
    {
        var (code, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        code.ShouldBe(0, console.Stderr);
        var started = Path.Combine(run.Root, "started");
        await WaitUntilAsync(() => File.Exists(started) && WorkerClaim.TryRead(run.Layout.IterationDir(1), "slow")?.Agent is not null, "the worker never started");
        return OrchestratorInfo.Running(run.Layout).ShouldNotBeNull();
    }

    private static async Task TheWorkerWasNotKilledAsync(FleetRun run)
    {
        var claim = WorkerClaim.TryRead(run.Layout.IterationDir(1), "slow").ShouldNotBeNull();
        claim.Agent.ShouldNotBeNull().IsAlive.ShouldBeTrue("the orchestrator killed its worker");
        File.WriteAllText(Path.Combine(run.Root, "release"), "");
        await WaitUntilAsync(() => File.Exists(run.Layout.ExitFile(1, "slow")), "the released worker never recorded its end");
    }

    private static Task WaitForExitAsync(OrchestratorInfo orchestrator) =>
        WaitUntilAsync(() => !orchestrator.Identity.IsAlive, $"the orchestrator (pid {orchestrator.Pid}) never stopped");

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException(what);
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
