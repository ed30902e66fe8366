using Fleet.Reviews;
using Fleet.Scheduling;
using Fleet.Spec;
using Fleet.Workers;
using static Fleet.Tests.Scheduling.Rounds;

namespace Fleet.Tests.Scheduling;

/// <summary>The end of an iterative fleet's iteration: the verdict, the stop rules, escalation and a person's pause.</summary>
public class IterationEndTests
{
    private static readonly ResolvedFleet Pair = Iterative("builder", "reviewer<-builder");

    private static Observations Review(int iteration, string verdict, string? reason = null, bool pause = false) =>
        Nothing with { Review = new ReviewRead(iteration, new ReviewVerdict(verdict, reason, "review.md")), PauseRequested = pause };

    private static JournalOf DoneThrough(int iteration)
    {
        var journal = JournalOf.Run();
        for (var n = 1; n <= iteration; n++)
        {
            journal = (n == 1 ? journal : journal.Iteration(n)).Started("builder", n).Ended("builder", n: n).Started("reviewer", n).Ended("reviewer", n: n);
        }

        return journal;
    }

    [Fact]
    public void An_iteration_whose_workers_are_done_asks_for_its_review_before_deciding()
    {
        Decide(DoneThrough(1).State, Pair).ShouldBe(["read the review of #1"]);
    }

    [Fact]
    public void A_review_read_for_another_iteration_is_not_taken_for_this_one()
    {
        Decide(DoneThrough(2).Verdict(1, "iterate").State, Pair, Review(1, "lgtm")).ShouldBe(["read the review of #2"]);
    }

    [Fact]
    public void A_dag_ends_without_a_review()
    {
        var state = JournalOf.Run().Done("a").State;

        Scheduler.Decide(state, Dag("a"), Nothing).ShouldNotContain(d => d is ReadReview);
    }

    [Fact]
    public void An_lgtm_that_meets_the_count_ends_the_run_with_success()
    {
        var decisions = Scheduler.Decide(DoneThrough(1).State, Pair, Review(1, "lgtm"));

        decisions.Where(d => d is not KeepIdleShims).Select(d => d.ToString()).ShouldBe(["verdict #1 lgtm", "end the run success: 1 lgtm verdict (needed 1)"]);
        decisions[^1].ShouldBeOfType<EndRun>().ExitCode.ShouldBe(0);
    }

    [Fact]
    public void Lgtm_verdicts_are_counted_over_the_whole_run()
    {
        var state = DoneThrough(3).Verdict(1, "lgtm").Verdict(2, "iterate").State;

        Decide(state, Pair.WithStopRules(lgtm: 2, maxIterations: 10), Review(3, "lgtm"))
            .ShouldBe(["verdict #3 lgtm", "end the run success: 2 lgtm verdicts (needed 2)"]);
    }

    [Theory]
    [InlineData("iterate")]
    [InlineData("lgtm")]
    public void A_verdict_short_of_the_stop_rule_starts_the_next_iteration(string verdict)
    {
        Decide(DoneThrough(1).State, Pair.WithStopRules(lgtm: 2, maxIterations: 10), Review(1, verdict))
            .ShouldBe([$"verdict #1 {verdict}", "start iteration #2"]);
    }

    [Fact]
    public void The_next_iteration_starts_its_first_layer_again()
    {
        var state = DoneThrough(1).Verdict(1, "iterate").Iteration(2).State;

        Decide(state, Pair).ShouldBe(["start builder #2", "spawn builder #2"]);
    }

    [Fact]
    public void Max_iterations_ends_the_run_failed()
    {
        Decide(DoneThrough(3).Verdict(1, "iterate").Verdict(2, "iterate").State, Pair.WithStopRules(lgtm: 1, maxIterations: 3), Review(3, "iterate"))
            .ShouldBe(["verdict #3 iterate", "end the run failed: max iterations (3) reached with 0 of 1 lgtm verdicts"]);
    }

    [Fact]
    public void An_approval_at_the_last_iteration_still_succeeds()
    {
        Decide(DoneThrough(2).Verdict(1, "iterate").State, Pair.WithStopRules(lgtm: 1, maxIterations: 2), Review(2, "lgtm"))
            .ShouldBe(["verdict #2 lgtm", "end the run success: 1 lgtm verdict (needed 1)"]);
    }

    [Fact]
    public void The_cost_cap_ends_an_iterative_run_at_the_iteration_boundary()
    {
        var state = JournalOf.Run().Started("builder").Ended("builder", cost: 3m).Started("reviewer").Ended("reviewer", cost: 2m).State;

        Decide(state, Pair.WithCap(5m), Review(1, "iterate")).ShouldBe(["verdict #1 iterate", "end the run failed: cost cap reached: spent $5.00 of $5.00"]);
    }

    [Theory]
    [InlineData("the migration drops a column", "escalate after #1: the migration drops a column")]
    [InlineData(null, "escalate after #1: the reviewer escalated without a reason")]
    public void An_escalate_verdict_pauses_the_run_for_a_person(string? reason, string pause)
    {
        var decisions = Scheduler.Decide(DoneThrough(1).State, Pair, Review(1, "escalate", reason));

        decisions.Where(d => d is not KeepIdleShims).Select(d => d.ToString()).ShouldBe(["verdict #1 escalate", pause]);
        decisions[^1].ShouldBeOfType<Pause>().ShouldSatisfyAllConditions(
            p => p.Outcome.ShouldBe("escalated"),
            p => p.ExitCode.ShouldBe(3),
            p => p.Entry.Outcome.ShouldBe("escalated"));
    }

    [Fact]
    public void An_escalation_resumed_by_a_person_goes_on_to_the_next_iteration()
    {
        var state = DoneThrough(1).Verdict(1, "escalate").Paused(1, "escalated", "unsure").Resumed().State;

        Decide(state, Pair).ShouldBe(["start iteration #2"]);
    }

    [Fact]
    public void A_pause_request_stops_the_run_at_the_iteration_boundary()
    {
        var decisions = Scheduler.Decide(DoneThrough(1).State, Pair, Review(1, "iterate", pause: true));

        decisions[^1].ShouldBeOfType<Pause>().ShouldSatisfyAllConditions(
            p => p.ToString().ShouldBe("pause after #1: paused by a person (.paused) after iteration 1"),
            p => p.Outcome.ShouldBe("paused"),
            p => p.ExitCode.ShouldBe(3));
    }

    [Fact]
    public void A_pause_request_lets_the_iteration_run_to_its_end()
    {
        var state = JournalOf.Run().Started("builder").State;

        Decide(state, Pair, Ended(("builder", WorkerOutcome.Succeeded)) with { PauseRequested = true })
            .ShouldBe(["end builder #1 succeeded", "start reviewer #1", "spawn reviewer #1"]);
    }

    [Fact]
    public void A_run_resumed_at_the_boundary_where_it_paused_goes_on_though_the_pause_file_is_still_there()
    {
        var state = DoneThrough(1).Verdict(1, "iterate").Paused(1, "paused", "paused by a person").Resumed().State;

        Decide(state, Pair, Nothing with { PauseRequested = true }).ShouldBe(["start iteration #2"]);
    }

    [Theory]
    [InlineData("paused", "paused by a person (.paused) after iteration 1", "report paused: paused by a person (.paused) after iteration 1")]
    [InlineData("escalated", "unsure about the schema", "report escalated: unsure about the schema")]
    public void A_paused_run_reports_its_pause_and_decides_nothing_else(string outcome, string reason, string report)
    {
        var state = DoneThrough(1).Paused(1, outcome, reason).State;

        Decide(state, Pair).ShouldBe([report]);
        Scheduler.Decide(state, Pair, Nothing).Single().ShouldBeOfType<ReportOutcome>().ExitCode.ShouldBe(3);
    }

    [Fact]
    public void An_ended_run_reports_its_outcome_and_decides_nothing_else()
    {
        var state = DoneThrough(1).RunEnded("success", "1 lgtm verdict (needed 1)", 0).State;

        var decision = Scheduler.Decide(state, Pair, Review(1, "iterate")).Single().ShouldBeOfType<ReportOutcome>();

        decision.ShouldBe(new ReportOutcome("success", "1 lgtm verdict (needed 1)", 0));
    }
}

/// <summary>A person's pause of a dag or worktree fleet: its one iteration's boundary is between workers.</summary>
public class PauseBetweenWorkersTests
{
    [Theory]
    [InlineData(FleetType.Dag)]
    [InlineData(FleetType.Worktree)]
    public void A_paused_dag_starts_no_new_worker_while_its_running_ones_finish(FleetType type)
    {
        var fleet = FleetOf(type, type == FleetType.Dag ? ["a", "b<-a", "c"] : ["a", "b", "c"]);
        var state = JournalOf.Run().Started("a").State;

        Decide(state, fleet, Ended(("a", WorkerOutcome.Succeeded)) with { PauseRequested = true })[0].ShouldBe("end a #1 succeeded");
        Decide(state, fleet, Seen(("a", new WorkerObservation { StartedHere = true })) with { PauseRequested = true }).ShouldBe(["wait"]);
    }

    [Fact]
    public void A_paused_dag_pauses_once_no_worker_runs_naming_the_workers_not_started()
    {
        var state = JournalOf.Run().Done("a").State;

        var decisions = Scheduler.Decide(state, Dag("a", "b<-a", "c"), Nothing with { PauseRequested = true });

        decisions.OfType<StartWorker>().ShouldBeEmpty();
        decisions[^1].ShouldBeOfType<Pause>().ShouldSatisfyAllConditions(
            p => p.Reason.ShouldBe("paused by a person (.paused); not started: b, c"),
            p => p.ExitCode.ShouldBe(3));
    }

    [Fact]
    public void A_dag_whose_last_worker_ends_under_a_pause_request_ends_instead_of_pausing()
    {
        var state = JournalOf.Run().Done("a").Started("b").State;

        Scheduler.Decide(state, Dag("a", "b<-a"), Ended(("b", WorkerOutcome.Succeeded)) with { PauseRequested = true })[^1].ShouldBeOfType<EndRun>().Outcome.ShouldBe("success");
    }

    [Fact]
    public void A_resumed_dag_starts_its_pending_workers_again()
    {
        var state = JournalOf.Run().Done("a").Paused(1, "paused", "paused by a person").Resumed().State;

        Decide(state, Dag("a", "b<-a", "c")).ShouldBe(["start c #1", "start b #1", "spawn c #1", "spawn b #1"]);
    }
}
