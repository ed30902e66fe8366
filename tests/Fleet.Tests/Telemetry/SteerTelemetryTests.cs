using Fleet.State;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

public sealed class SteerTelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_worker_steered_entry_is_a_steer_a_person_decided_and_counts_on_the_workers_state()
    {
        using var dir = new TempDir("fleet-steer-telemetry-");
        var path = dir.Combine("journal.jsonl");
        var journal = new Journal(path, TimeProvider.System);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = "r-1", Fleet = "f" }, Ct);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "api", Iteration = 1 }, Ct);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSteered, Worker = "api", Iteration = 1, Reason = "say", Message = "use pnpm, not npm" }, Ct);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSteered, Worker = "api", Iteration = 1, Reason = "interrupt" }, Ct);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerEnded, Worker = "api", Iteration = 1, Outcome = "succeeded" }, Ct);

        var records = GateTelemetry.FromJournal(path, new PrivacyPolicy(PrivacyLevel.Full));
        var state = RunState.Fold(Journal.Read(path));

        records.Select(r => (r.GateKind, r.Asked, r.Decision, r.DecidedBy, r.Tags.Worker, r.Tags.Run))
            .ShouldBe([("steer", "use pnpm, not npm", "say", "person", "api", "r-1"), ("steer", null, "interrupt", "person", "api", "r-1")]);
        state.Worker("api", 1).Steers.ShouldBe(2, "the count outlives the worker's end");
    }
}
