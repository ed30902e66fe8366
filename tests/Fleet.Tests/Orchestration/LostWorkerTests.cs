using System.Text.Json;
using Fleet.Orchestration;
using Fleet.Scheduling;
using Fleet.Processes;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Tests.Orchestration;

/// <summary>
/// A worker is "lost" only when it is certain that no agent ran, or that one ran and its outcome cannot be known;
/// an outcome a shim could not put in exit.json is still its outcome.
/// </summary>
public class LostWorkerTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 5, 0, 0, TimeSpan.Zero);

    private static WorkerExitRecord Succeeded => new() { Worker = "w", Iteration = 1, StartedAt = At, EndedAt = At, Outcome = WorkerOutcome.Succeeded, ExitCode = 0 };

    public static TheoryData<string, bool, bool, RecoveryVerdict> Claims => new()
    {
        { "none", false, false, RecoveryVerdict.Unclaimed },
        { "claimed", true, false, RecoveryVerdict.Running },
        { "claimed", false, false, RecoveryVerdict.LostNeverStarted },
        { "starting", false, false, RecoveryVerdict.LostOutcomeUnknown },
        { "agent", false, true, RecoveryVerdict.Running },
        { "agent", false, false, RecoveryVerdict.LostOutcomeUnknown },
        { "exit", false, false, RecoveryVerdict.RecordedInClaim },
        { "exit", true, false, RecoveryVerdict.RecordedInClaim },
    };

    [Theory]
    [MemberData(nameof(Claims))]
    public void A_started_worker_without_exit_json_is_judged_by_its_claim_and_its_processes(string claim, bool shimAlive, bool agentAlive, RecoveryVerdict expected)
    {
        var shim = new WorkerClaim { ShimPid = 10, ShimStartTime = 20 };
        var found = claim switch
        {
            "none" => null,
            "claimed" => shim,
            "starting" => shim with { AgentStarting = true },
            "agent" => shim with { AgentStarting = true, AgentPid = 11, AgentStartTime = 21 },
            _ => shim with { AgentStarting = true, AgentPid = 11, AgentStartTime = 21, Exit = Succeeded },
        };

        WorkerRecovery.Decide(found, shimAlive, agentAlive).ShouldBe(expected);
    }

    [Fact]
    public async Task A_worker_whose_shim_could_not_write_exit_json_ends_with_the_outcome_in_its_claim_and_its_dependent_runs()
    {
        // A directory where exit.json goes: neither the shim nor the orchestrator can write it, even as root.
        await using var run = new FleetRun($$"""
            { "fleet_name": "unwritable", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "w", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + "mkdir \"$0/iterations/$1/$2.exit.json\"")}} },
              { "id": "after", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}}, "depends_on": ["w"] } ] }
            """);

        var code = await run.LaunchAndWaitAsync();

        code.ShouldBe(0, string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}")));
        run.State.Worker("w", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        run.State.Worker("after", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        WorkerClaim.TryRead(run.Layout.IterationDir(1), "w")!.Exit!.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        run.Starts.ShouldBe(["w 1", "after 1"]);
    }

    [Theory]
    [InlineData("outcome in the claim", WorkerStatus.Succeeded, null)]
    [InlineData("agent started, no outcome", WorkerStatus.Failed, WorkerRecovery.OutcomeUnknown)]
    [InlineData("no agent started", WorkerStatus.Failed, WorkerRecovery.NeverStarted)]
    public async Task A_resumed_orchestrator_reads_what_a_killed_shim_left_in_its_claim(string claimState, WorkerStatus expected, string? reason)
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "killed-shim", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "w", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + "sleep 300")}} } ] }
            """);
        (await run.FleetAsync("launch", run.Root, "--no-tmux")).ExitCode.ShouldBe(0);
        var dir = run.Layout.IterationDir(1);
        // The agent has recorded its start (not only been forked): a kill before its first line would leave no start.
        await run.WaitForAsync(_ => WorkerClaim.TryRead(dir, "w")?.AgentPid is not null && run.Starts.Contains("w 1"));
        var claim = WorkerClaim.TryRead(dir, "w")!;
        var agent = claim.Agent!;

        // The orchestrator, the shim and the agent die at once: no exit.json, the claim as the shim last wrote it.
        OrchestratorInfo.Running(run.Layout)!.Identity.Signal(UnixSignal.SIGKILL);
        claim.Shim.Signal(UnixSignal.SIGKILL);
        ProcessGroup.Signal(agent.Pid, UnixSignal.SIGKILL);
        await run.WaitForAsync(_ => OrchestratorInfo.Running(run.Layout) is null && !claim.Shim.IsAlive && !agent.IsAlive);
        File.Exists(WorkerFiles.For(dir, "w").ExitJson).ShouldBeFalse();

        var left = claimState switch
        {
            "outcome in the claim" => claim with { Exit = Succeeded },
            "agent started, no outcome" => claim,
            _ => claim with { AgentStarting = false, AgentPid = null, AgentStartTime = null, AgentStartedAt = null },
        };
        await File.WriteAllTextAsync(WorkerClaim.PathFor(dir, "w"), JsonSerializer.Serialize(left, WorkerJsonContext.Default.WorkerClaim), TestContext.Current.CancellationToken);

        (await run.FleetAsync("resume", run.Root)).ExitCode.ShouldBe(0);
        await run.WaitForAsync(s => s.Ended is not null);

        var w = run.State.Worker("w", 1);
        w.Status.ShouldBe(expected);
        w.Reason.ShouldBe(reason);
        run.Starts.ShouldBe(["w 1"]);
        if (reason is not null)
        {
            var (_, status) = await run.FleetAsync("status", run.Root);
            status.Stdout.ShouldContain(reason[..reason.IndexOf(" (", StringComparison.Ordinal)]);
        }
    }
}
