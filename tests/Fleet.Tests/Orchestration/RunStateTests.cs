using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Orchestration;

public sealed class RunStateTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JournalEntry E(string type, string? worker = null, int? iteration = null, string? outcome = null, decimal? cost = null) =>
        new() { Type = type, Worker = worker, Iteration = iteration, Outcome = outcome, CostUsd = cost, Run = "r1" };

    [Fact]
    public void The_fold_follows_workers_verdicts_and_spend()
    {
        var state = RunState.Fold([
            E(JournalTypes.RunStarted),
            E(JournalTypes.IterationStarted, iteration: 1),
            E(JournalTypes.WorkerSpawning, "a", 1),
            E(JournalTypes.WorkerEnded, "a", 1, "succeeded", 0.5m),
            E(JournalTypes.WorkerSpawning, "b", 1),
            E(JournalTypes.Verdict, iteration: 1, outcome: "lgtm"),
        ]);

        state.Iteration.ShouldBe(1);
        state.Worker("a", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        state.Worker("b", 1).Status.ShouldBe(WorkerStatus.Started);
        state.Worker("c", 1).Status.ShouldBe(WorkerStatus.Pending);
        state.Spent.ShouldBe(0.5m);
        state.LgtmCount.ShouldBe(1);
    }

    [Fact]
    public void A_repeated_end_or_verdict_is_counted_once()
    {
        var state = RunState.Fold([
            E(JournalTypes.RunStarted),
            E(JournalTypes.WorkerSpawning, "a", 1),
            E(JournalTypes.WorkerEnded, "a", 1, "succeeded", 0.5m),
            E(JournalTypes.WorkerEnded, "a", 1, "failed", 0.5m),
            E(JournalTypes.WorkerSpawning, "a", 1),
            E(JournalTypes.Verdict, iteration: 1, outcome: "lgtm"),
            E(JournalTypes.Verdict, iteration: 1, outcome: "iterate"),
        ]);

        state.Worker("a", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        state.Spent.ShouldBe(0.5m);
        state.Verdicts.Single().Verdict.ShouldBe("lgtm");
    }

    [Fact]
    public void Only_the_latest_run_counts()
    {
        var state = RunState.Fold([
            E(JournalTypes.RunStarted) with { Run = "old" },
            E(JournalTypes.WorkerEnded, "a", 1, "succeeded", 3m),
            E(JournalTypes.RunEnded, outcome: "success"),
            E(JournalTypes.RunStarted) with { Run = "new" },
        ]);

        state.RunId.ShouldBe("new");
        state.Spent.ShouldBe(0m);
        state.Ended.ShouldBeNull();
    }

    [Fact]
    public void Resuming_after_an_escalation_marks_the_iteration_as_decided()
    {
        var state = RunState.Fold([
            E(JournalTypes.RunStarted),
            E(JournalTypes.IterationStarted, iteration: 2),
            E(JournalTypes.Paused, outcome: "escalated"),
        ]);
        state.Escalated.ShouldBeTrue();

        state.Apply(E(JournalTypes.Resumed));

        state.Paused.ShouldBeFalse();
        state.ResumedAtIteration.ShouldBe(2);
    }

    [Fact]
    public async Task A_torn_last_line_of_the_journal_is_skipped()
    {
        var journal = new Journal(_dir.Combine(".fleet", "journal.jsonl"), TimeProvider.System);
        await journal.AppendAsync(E(JournalTypes.RunStarted), TestContext.Current.CancellationToken);
        await journal.AppendAsync(E(JournalTypes.IterationStarted, iteration: 1), TestContext.Current.CancellationToken);
        File.AppendAllText(journal.Path, "{\"type\":\"worker_spaw");

        var entries = Journal.Read(journal.Path);

        entries.Select(e => e.Type).ShouldBe([JournalTypes.RunStarted, JournalTypes.IterationStarted]);
        entries[0].Ts.ShouldNotBe(default);
    }
}
