using Fleet.Scheduling;
using Fleet.Spec;
using Fleet.Workers;
using static Fleet.Tests.Scheduling.Rounds;

namespace Fleet.Tests.Scheduling;

/// <summary>Dependents of a worker that did not succeed, a dag's end, and the cost cap.</summary>
public class SkipAndCostTests
{
    [Theory]
    [InlineData(FleetType.Dag, WorkerOutcome.Failed, "skip b #1: a failed")]
    [InlineData(FleetType.Dag, WorkerOutcome.Killed, "skip b #1: a killed")]
    [InlineData(FleetType.Worktree, WorkerOutcome.Failed, "skip b #1: a failed")]
    public void A_worker_whose_dependency_did_not_succeed_is_skipped_with_the_reason(FleetType type, WorkerOutcome outcome, string skip)
    {
        var state = JournalOf.Run().Started("a").Started("c").State;

        Decide(state, FleetOf(type, "a", "b<-a", "c"), Ended(("a", outcome))).ShouldBe([$"end a #1 {outcome.ToString().ToLowerInvariant()}", skip]);
    }

    [Fact]
    public void A_skip_reaches_the_dependents_of_the_skipped_worker_in_the_same_round()
    {
        var state = JournalOf.Run().Started("a").Started("free").State;

        Decide(state, Dag("a", "b<-a", "c<-b", "free"), Ended(("a", WorkerOutcome.Failed)))
            .ShouldBe(["end a #1 failed", "skip b #1: a failed", "skip c #1: b skipped"]);
    }

    [Fact]
    public void An_iterative_fleet_starts_the_dependent_of_a_failed_worker_so_the_reviewer_decides()
    {
        var state = JournalOf.Run().Started("builder").State;

        Decide(state, Iterative("builder", "reviewer<-builder"), Ended(("builder", WorkerOutcome.Failed)))
            .ShouldBe(["end builder #1 failed", "start reviewer #1", "spawn reviewer #1"]);
    }

    [Fact]
    public void A_dag_whose_workers_all_succeeded_ends_with_success()
    {
        var state = JournalOf.Run().Done("a").Started("b").State;

        var decisions = Scheduler.Decide(state, Dag("a", "b<-a"), Ended(("b", WorkerOutcome.Succeeded)));

        decisions.Select(d => d.ToString()).ShouldContain("end the run success: all 2 workers succeeded");
        decisions[^1].ShouldBeOfType<EndRun>().ExitCode.ShouldBe(0);
    }

    [Fact]
    public void A_dag_with_a_failure_ends_failed_naming_each_worker_that_did_not_succeed_and_why()
    {
        var state = JournalOf.Run().Done("ok").Started("a").State;
        var observed = Seen(("a", new WorkerObservation { Exit = Record("a", WorkerOutcome.Failed, error: "exit code 3") }));

        var decisions = Scheduler.Decide(state, Dag("ok", "a", "b<-a"), observed);

        decisions[^1].ShouldBeOfType<EndRun>().ShouldSatisfyAllConditions(
            end => end.Outcome.ShouldBe("failed"),
            end => end.Reason.ShouldBe("a failed: exit code 3; b skipped: a failed"),
            end => end.ExitCode.ShouldBe(1));
    }

    [Fact]
    public void No_worker_starts_once_the_cap_is_spent_and_the_run_ends_naming_those_not_started()
    {
        var state = JournalOf.Run().Started("a").State;
        var observed = Seen(("a", new WorkerObservation { Exit = Record("a", cost: 5m) }));

        Decide(state, Dag("a", "b<-a", "c<-a").WithCap(5m), observed).ShouldBe([
            "end a #1 succeeded",
            "cost cap reached: spent $5.00 of $5.00",
            "end the run failed: cost cap reached: spent $5.00 of $5.00; not started: b, c",
        ]);
    }

    [Fact]
    public void A_spend_below_the_cap_still_starts_workers()
    {
        var state = JournalOf.Run().Started("a").State;
        var observed = Seen(("a", new WorkerObservation { Exit = Record("a", cost: 4.99m) }));

        Decide(state, Dag("a", "b<-a").WithCap(5m), observed).ShouldBe(["end a #1 succeeded", "start b #1", "spawn b #1"]);
    }

    [Fact]
    public void Running_workers_are_never_stopped_for_cost_and_the_run_ends_only_when_they_have()
    {
        var state = JournalOf.Run().Started("a").Started("b").State;
        var observed = Seen(("a", new WorkerObservation { Exit = Record("a", cost: 7m) }), ("b", new WorkerObservation { StartedHere = true }));

        Decide(state, Dag("a", "b", "c<-a").WithCap(5m), observed).ShouldBe(["end a #1 succeeded", "cost cap reached: spent $7.00 of $5.00"]);
    }

    [Fact]
    public void The_cap_is_journaled_once()
    {
        var state = JournalOf.Run().Started("a").Ended("a", cost: 6m).CostCapReached().Started("b").State;

        Decide(state, Dag("a", "b", "c<-a").WithCap(5m)).ShouldBe(["wait"]);
    }
}
