using Fleet.Scheduling;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;
using static Fleet.Tests.Scheduling.Rounds;

namespace Fleet.Tests.Scheduling;

/// <summary>Which workers start, in which order, and how many at once: dependency layers and max_concurrent.</summary>
public class StartingTests
{
    [Fact]
    public void A_new_run_starts_its_first_iteration_with_the_workers_that_depend_on_nothing()
    {
        var decisions = Decide(new JournalOf().State, Dag("a", "b<-a", "c"));

        decisions.ShouldBe(["start iteration #1", "start a #1", "start c #1", "spawn a #1", "spawn c #1"]);
    }

    [Fact]
    public void A_dependent_starts_in_the_round_its_dependency_succeeded()
    {
        var state = JournalOf.Run().Started("a").State;

        Decide(state, Dag("a", "b<-a"), Ended(("a", WorkerOutcome.Succeeded))).ShouldBe(["end a #1 succeeded", "start b #1", "spawn b #1"]);
    }

    [Fact]
    public void A_dependent_waits_while_its_dependency_runs()
    {
        var state = JournalOf.Run().Started("a").State;

        Decide(state, Dag("a", "b<-a"), Seen(("a", new WorkerObservation { StartedHere = true }))).ShouldBe(["wait"]);
    }

    [Fact]
    public void A_worker_with_two_dependencies_waits_until_both_are_done()
    {
        var state = JournalOf.Run().Done("a").Started("b").State;

        Decide(state, Dag("a", "b", "c<-a,b")).ShouldBe(["wait"]);
        Decide(state, Dag("a", "b", "c<-a,b"), Ended(("b", WorkerOutcome.Succeeded))).ShouldBe(["end b #1 succeeded", "start c #1", "spawn c #1"]);
    }

    [Fact]
    public void Under_max_concurrent_an_earlier_layer_starts_before_a_later_one_declared_first()
    {
        // b (layer 1) is declared before c (layer 0): once a is done, c goes first and b waits for the slot.
        var fleet = FleetOf(FleetType.Dag, maxConcurrent: 1, "a", "b<-a", "c");
        var state = JournalOf.Run().Started("a").State;

        Decide(state, fleet, Ended(("a", WorkerOutcome.Succeeded))).ShouldBe(["end a #1 succeeded", "start c #1", "spawn c #1"]);
    }

    [Theory]
    [InlineData(1, new[] { "a" })]
    [InlineData(2, new[] { "a", "b" })]
    [InlineData(4, new[] { "a", "b", "c", "d" })]
    [InlineData(9, new[] { "a", "b", "c", "d" })]
    public void No_more_than_max_concurrent_workers_start_at_once(int maxConcurrent, string[] started)
    {
        var decisions = Scheduler.Decide(JournalOf.Run().State, FleetOf(FleetType.Dag, maxConcurrent, "a", "b", "c", "d"), Nothing);

        decisions.OfType<StartWorker>().Select(s => s.Worker.Id).ShouldBe(started);
        decisions.OfType<Spawn>().Select(s => s.Worker.Id).ShouldBe(started);
    }

    [Fact]
    public void No_worker_starts_while_max_concurrent_are_running()
    {
        var state = JournalOf.Run().Started("a").Started("b").State;

        Decide(state, FleetOf(FleetType.Dag, maxConcurrent: 2, "a", "b", "c")).ShouldBe(["wait"]);
    }

    [Fact]
    public void A_worker_that_ends_frees_its_slot_in_the_same_round()
    {
        var state = JournalOf.Run().Started("a").Started("b").State;

        Decide(state, FleetOf(FleetType.Dag, maxConcurrent: 2, "a", "b", "c"), Ended(("a", WorkerOutcome.Failed)))
            .ShouldBe(["end a #1 failed", "start c #1", "spawn c #1"]);
    }

    [Fact]
    public void Every_start_of_a_round_is_journaled_before_the_first_process_starts()
    {
        var decisions = Scheduler.Decide(JournalOf.Run().State, Dag("a", "b", "c"), Nothing);

        var firstSpawn = decisions.ToList().FindIndex(d => d is Spawn);
        decisions.Take(firstSpawn).OfType<StartWorker>().Count().ShouldBe(3);
        decisions.OfType<StartWorker>().ShouldAllBe(s => !s.Flush && s.Entry.Type == JournalTypes.WorkerSpawning);
    }

    [Theory]
    [InlineData("started")]
    [InlineData("succeeded")]
    [InlineData("failed")]
    [InlineData("skipped")]
    [InlineData("limited")]
    public void A_worker_the_journal_already_started_is_never_started_again(string status)
    {
        var journal = JournalOf.Run().Done("x");
        journal = status switch
        {
            "started" => journal.Started("a"),
            "skipped" => journal.Skipped("a"),
            "limited" => journal.Started("a").Limited("a", Now.AddHours(1)),
            _ => journal.Started("a").Ended("a", status),
        };

        var decisions = Scheduler.Decide(journal.State, Dag("x", "a<-x"), Nothing);

        decisions.OfType<StartWorker>().ShouldBeEmpty();
        decisions.OfType<Spawn>().ShouldBeEmpty();
    }

    [Fact]
    public void A_dag_keeps_as_many_idle_shims_as_workers_still_to_start_and_no_more_than_max_concurrent()
    {
        var state = JournalOf.Run().Started("a").State;

        Scheduler.Decide(state, FleetOf(FleetType.Dag, maxConcurrent: 1, "a", "b<-a", "c<-a", "d<-a"), Nothing).OfType<KeepIdleShims>().Single().Count.ShouldBe(1);
        Scheduler.Decide(state, FleetOf(FleetType.Dag, maxConcurrent: 5, "a", "b<-a", "c<-a", "d<-a"), Nothing).OfType<KeepIdleShims>().Single().Count.ShouldBe(3);
        Scheduler.Decide(state, FleetOf(FleetType.Iterative, maxConcurrent: 5, "a", "b<-a"), Nothing).OfType<KeepIdleShims>().Single().Count.ShouldBe(2);
    }

    [Fact]
    public void Deciding_leaves_the_state_it_was_given_unchanged()
    {
        var state = JournalOf.Run().Started("a").State;

        _ = Scheduler.Decide(state, Dag("a", "b<-a"), Ended(("a", WorkerOutcome.Succeeded)));

        state.Worker("a", 1).Status.ShouldBe(WorkerStatus.Started);
        state.Worker("b", 1).Status.ShouldBe(WorkerStatus.Pending);
    }

    [Fact]
    public void A_round_that_journals_something_is_followed_by_another_at_once_and_one_that_journals_nothing_waits()
    {
        var state = JournalOf.Run().Started("a").State;

        Scheduler.Decide(state, Dag("a"), Nothing)[^1].ShouldBeOfType<Wait>();
        Scheduler.Decide(state, Dag("a", "b<-a"), Ended(("a", WorkerOutcome.Succeeded))).ShouldNotContain(d => d is Wait);
    }
}
