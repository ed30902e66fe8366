using Fleet.Scheduling;
using Fleet.State;
using Fleet.Workers;
using static Fleet.Tests.Scheduling.Rounds;

namespace Fleet.Tests.Scheduling;

/// <summary>
/// A started worker without exit.json, as a restarted orchestrator (or the safety poll) finds it: re-adopted while
/// its processes live, spawned again while nobody claimed it, "lost" only when nothing can tell its outcome.
/// </summary>
public class RecoveryTests
{
    private static Observations Looked(WorkerClaim? claim, bool shimAlive = false, bool agentAlive = false, WorkerExitRecord? exitAfter = null, bool limitedAfter = false, bool startedHere = false) =>
        Seen(("a", new WorkerObservation { StartedHere = startedHere, Claim = new ClaimObservation(claim, shimAlive, agentAlive, exitAfter, limitedAfter) }));

    private static readonly RunState Running = JournalOf.Run().Started("a").State;

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_restarted_orchestrator_re_adopts_a_worker_whose_shim_or_agent_still_runs(bool shimAlive, bool agentAlive)
    {
        Decide(Running, Dag("a", "b<-a"), Looked(Claim(agent: true), shimAlive, agentAlive)).ShouldBe(["wait"]);
    }

    [Fact]
    public void A_restarted_orchestrator_ends_a_worker_whose_exit_json_appeared_while_none_ran()
    {
        Decide(Running, Dag("a", "b<-a"), Seen(("a", new WorkerObservation { Exit = Record("a") })))
            .ShouldBe(["end a #1 succeeded", "start b #1", "spawn b #1"]);
    }

    [Fact]
    public void A_start_journaled_but_never_claimed_is_spawned_again_without_a_second_start_entry()
    {
        var decisions = Scheduler.Decide(Running, Dag("a"), Looked(claim: null));

        decisions.Where(d => d is not KeepIdleShims).Select(d => d.ToString()).ShouldBe(["spawn a #1", "wait"]);
        decisions.ShouldAllBe(d => d.Entry == null);
    }

    [Fact]
    public void An_unclaimed_worker_this_orchestrator_started_is_not_spawned_twice()
    {
        Decide(Running, Dag("a"), Looked(claim: null, startedHere: true)).ShouldBe(["wait"]);
    }

    [Fact]
    public void A_running_worker_whose_claim_was_not_looked_at_is_left_alone()
    {
        Decide(Running, Dag("a"), Seen(("a", new WorkerObservation { StartedHere = true }))).ShouldBe(["wait"]);
    }

    [Fact]
    public void An_outcome_the_shim_could_only_put_in_its_claim_ends_the_worker_and_is_copied_to_exit_json()
    {
        var decisions = Scheduler.Decide(Running, Dag("a", "b<-a"), Looked(Claim(agent: true) with { Exit = Record("a") }));

        decisions.OfType<EndWorker>().Single().ShouldSatisfyAllConditions(
            end => end.FromClaim.ShouldBeTrue(),
            end => end.Record.Outcome.ShouldBe(WorkerOutcome.Succeeded));
        decisions.OfType<StartWorker>().Single().Worker.Id.ShouldBe("b");
    }

    [Theory]
    [InlineData(false, RecoveryVerdict.LostNeverStarted, WorkerRecovery.NeverStarted)]
    [InlineData(true, RecoveryVerdict.LostOutcomeUnknown, WorkerRecovery.OutcomeUnknown)]
    public void A_worker_whose_shim_and_agent_are_gone_without_an_outcome_is_lost_and_says_which_way(bool agentStarted, RecoveryVerdict how, string reason)
    {
        var decisions = Scheduler.Decide(Running, Dag("a"), Looked(Claim(agent: agentStarted)));

        var lost = decisions.OfType<MarkLost>().Single();
        lost.How.ShouldBe(how);
        lost.Entry.Reason.ShouldBe(reason);
        lost.Entry.Outcome.ShouldBe("failed");
        decisions[^1].ShouldBeOfType<EndRun>().Reason.ShouldBe($"a failed: {reason}");
    }

    [Fact]
    public void A_lost_workers_dependents_are_skipped()
    {
        Decide(Running, Dag("a", "b<-a"), Looked(Claim(agent: true)))
            .ShouldBe(["lost a #1: LostOutcomeUnknown", "skip b #1: a failed", $"end the run failed: a failed: {WorkerRecovery.OutcomeUnknown}; b skipped: a failed"]);
    }

    [Fact]
    public void An_exit_json_found_after_the_processes_were_seen_gone_is_the_outcome_not_a_loss()
    {
        Decide(Running, Dag("a", "b<-a"), Looked(Claim(agent: true), exitAfter: Record("a")))
            .ShouldBe(["end a #1 succeeded", "start b #1", "spawn b #1"]);
    }

    [Fact]
    public void A_limit_recorded_after_the_processes_were_seen_gone_is_never_taken_as_a_loss()
    {
        Decide(Running, Dag("a"), Looked(Claim(agent: true), limitedAfter: true)).ShouldBe(["wait"]);
    }

    [Fact]
    public void A_continuations_claim_left_by_the_limited_attempt_is_set_aside_before_the_attempt_is_spawned_again()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddMinutes(-1)).Continued("a", attempt: 2).State;

        Decide(state, Dag("a"), Looked(Claim(agent: true, attempt: 1)))
            .ShouldBe(["set aside the claim of a #1 attempt 1", "spawn a #1 attempt 2", "wait"]);
    }
}
