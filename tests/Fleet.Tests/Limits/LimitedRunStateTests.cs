using Fleet.State;

namespace Fleet.Tests.Limits;

public class LimitedRunStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static JournalEntry E(string type, int seconds, int? attempt = null, DateTimeOffset? until = null, decimal? cost = null, string? outcome = null) =>
        new() { Type = type, Ts = T0.AddSeconds(seconds), Run = "r", Worker = type is JournalTypes.RunStarted ? null : "w", Iteration = type is JournalTypes.RunStarted ? null : 1, Attempt = attempt, Until = until, CostUsd = cost, Outcome = outcome };

    [Fact]
    public void A_limited_worker_is_not_done_and_a_continuation_runs_it_again_as_its_next_attempt()
    {
        var state = RunState.Fold([
            E(JournalTypes.RunStarted, 0),
            E(JournalTypes.WorkerSpawning, 1),
            E(JournalTypes.WorkerLimited, 2, until: T0.AddMinutes(5), cost: 0.25m),
        ]);
        var w = state.Worker("w", 1);
        w.Status.ShouldBe(WorkerStatus.Limited);
        w.IsDone.ShouldBeFalse();
        w.LimitedUntil.ShouldBe(T0.AddMinutes(5));
        state.Spent.ShouldBe(0.25m);

        state.Apply(E(JournalTypes.WorkerContinued, 300, attempt: 2));
        state.Worker("w", 1).Status.ShouldBe(WorkerStatus.Started);
        state.Worker("w", 1).Attempt.ShouldBe(2);

        state.Apply(E(JournalTypes.WorkerEnded, 400, cost: 0.5m, outcome: "succeeded"));
        state.Worker("w", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        state.Worker("w", 1).CostUsd.ShouldBe(0.75m);
        state.Spent.ShouldBe(0.75m);
    }

    [Fact]
    public void A_repeated_continuation_or_a_stale_limit_record_changes_nothing()
    {
        var state = RunState.Fold([
            E(JournalTypes.RunStarted, 0),
            E(JournalTypes.WorkerSpawning, 1),
            E(JournalTypes.WorkerLimited, 2, until: T0.AddMinutes(5)),
            E(JournalTypes.WorkerContinued, 3, attempt: 2),
            E(JournalTypes.WorkerContinued, 4, attempt: 2),
            E(JournalTypes.WorkerLimited, 5, attempt: 1, until: T0.AddMinutes(9)),
        ]);
        var w = state.Worker("w", 1);
        w.Status.ShouldBe(WorkerStatus.Started);
        w.Attempt.ShouldBe(2);
        w.Limits.ShouldBe(1);
    }
}
