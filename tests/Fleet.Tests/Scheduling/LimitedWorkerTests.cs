using Fleet.Limits;
using Fleet.Scheduling;
using Fleet.Spec;
using static Fleet.Tests.Scheduling.Rounds;

namespace Fleet.Tests.Scheduling;

/// <summary>A worker whose run ended on a usage or rate limit: it waits for the reset and its session goes on, once.</summary>
public class LimitedWorkerTests
{
    private static Observations LimitedAt(DateTimeOffset? resets, decimal? cost = null) =>
        Seen(("a", new WorkerObservation { Limited = LimitRecord("a", resets, cost), StartedHere = true }));

    [Fact]
    public void A_limited_worker_is_recorded_with_its_reset_and_the_orchestrator_waits_until_then()
    {
        var reset = Now.AddHours(2);
        var state = JournalOf.Run().Started("a").State;

        var decisions = Scheduler.Decide(state, Dag("a", "b<-a"), LimitedAt(reset, cost: 0.5m));

        var limit = decisions.OfType<RecordLimit>().Single();
        limit.Entry.Until.ShouldBe(reset);
        limit.Entry.CostUsd.ShouldBe(0.5m);
        limit.Entry.Reason.ShouldBe("usage limit: You've hit your session limit");
        decisions.OfType<StartWorker>().ShouldBeEmpty();
    }

    [Fact]
    public void A_round_with_a_limited_worker_and_nothing_else_to_do_waits_for_the_earliest_reset()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddHours(2)).Started("b").Limited("b", Now.AddMinutes(30)).State;

        Decide(state, Dag("a", "b")).ShouldBe([$"wait until {Now.AddMinutes(30):u}"]);
    }

    [Fact]
    public void A_limit_without_a_reset_backs_off_from_when_the_run_ended()
    {
        var state = JournalOf.Run().Started("a").State;

        var limit = Scheduler.Decide(state, Dag("a"), LimitedAt(resets: null)).OfType<RecordLimit>().Single();

        limit.Entry.Until.ShouldBe(Now + LimitPolicy.Default.BackoffBase);
        limit.Hit.Kind.ShouldBe(LimitKind.RateLimit);
    }

    [Fact]
    public void A_limited_worker_is_not_done_so_its_dependents_wait()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddHours(1)).State;

        Decide(state, Dag("a", "b<-a")).ShouldBe([$"wait until {Now.AddHours(1):u}"]);
    }

    [Fact]
    public void A_limited_worker_whose_reset_has_come_continues_as_a_new_attempt_with_its_old_claim_set_aside()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddSeconds(-1)).State;

        Decide(state, Dag("a")).ShouldBe(["continue a #1 attempt 2", "set aside the claim of a #1 attempt 1", "spawn a #1 attempt 2"]);
    }

    [Fact]
    public void A_limited_worker_before_its_reset_is_not_continued()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddSeconds(1)).State;

        Decide(state, Dag("a")).ShouldBe([$"wait until {Now.AddSeconds(1):u}"]);
    }

    [Fact]
    public void A_person_who_resumes_continues_a_limited_worker_at_once_and_the_request_is_cleared()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddHours(3)).State;

        var decisions = Scheduler.Decide(state, Dag("a"), Nothing with { ContinueRequested = true });

        decisions.Where(d => d is not KeepIdleShims).Select(d => d.ToString()).ShouldBe([
            "continue a #1 attempt 2", "clear the continue request", "set aside the claim of a #1 attempt 1", "spawn a #1 attempt 2",
        ]);
        decisions.OfType<ContinueWorker>().Single().Entry.Reason.ShouldBe("continued by a person (fleet resume)");
    }

    [Fact]
    public void A_limited_and_continued_worker_is_recorded_against_its_new_attempt()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddMinutes(-5)).Continued("a", attempt: 2).State;

        Scheduler.Decide(state, Dag("a"), LimitedAt(Now.AddHours(1))).OfType<RecordLimit>().Single().Entry.Attempt.ShouldBe(2);
    }

    [Fact]
    public void A_continued_worker_holds_its_slot_under_max_concurrent()
    {
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddSeconds(-1)).State;

        Decide(state, FleetOf(FleetType.Dag, maxConcurrent: 1, "a", "b"))
            .ShouldBe(["continue a #1 attempt 2", "set aside the claim of a #1 attempt 1", "spawn a #1 attempt 2"]);
    }

    [Fact]
    public void A_limited_worker_is_not_continued_once_the_cost_cap_is_reached()
    {
        var state = JournalOf.Run().Started("b").Ended("b", cost: 5m).Started("a").Limited("a", Now.AddSeconds(-1)).State;

        Decide(state, Dag("a", "b").WithCap(5m)).ShouldBe([
            "fail a #1: usage limit: You've hit your session limit; cost cap reached: spent $5.00 of $5.00; not continued",
            "end the run failed: a failed: usage limit: You've hit your session limit; cost cap reached: spent $5.00 of $5.00; not continued",
        ]);
    }

    [Fact]
    public void A_worker_that_meets_more_limits_than_the_policy_allows_fails()
    {
        var policy = LimitPolicy.Default with { MaxLimits = 1 };
        var state = JournalOf.Run().Started("a").Limited("a", Now.AddMinutes(-5)).Continued("a", attempt: 2).State;

        Decide(state, Dag("a"), LimitedAt(Now.AddHours(1)), policy).ShouldBe([
            "limited a #1 attempt 2 not waited for",
            "fail a #1: usage limit again: 2 limits in this iteration, more than 1; not continued",
            "end the run failed: a failed: usage limit again: 2 limits in this iteration, more than 1; not continued",
        ]);
    }

    [Fact]
    public void A_reset_further_away_than_fleet_waits_is_not_waited_for()
    {
        var state = JournalOf.Run().Started("a").State;

        var decisions = Scheduler.Decide(state, Dag("a"), LimitedAt(Now.AddDays(9)));

        decisions.OfType<RecordLimit>().Single().Wait.Until.ShouldBeNull();
        decisions.OfType<GiveUpLimited>().Single().Reason.ShouldStartWith("usage limit resets at");
    }
}
