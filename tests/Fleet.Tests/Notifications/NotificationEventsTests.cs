using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Notifications;
using Fleet.State;

namespace Fleet.Tests.Notifications;

/// <summary>The events of a run, from its journal and gate files alone: the same records always give the same ids.</summary>
public class NotificationEventsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private static readonly NotifyContext Context = new("demo", "/tmp/my fleet");

    private static JournalEntry Entry(string type, int second, string? worker = null, int? iteration = null, string? outcome = null, string? reason = null, int? attempt = null) =>
        new() { Type = type, Ts = T0.AddSeconds(second), Run = "r-1", Worker = worker, Iteration = iteration, Outcome = outcome, Reason = reason, Attempt = attempt };

    private static readonly JournalEntry Started = Entry(JournalTypes.RunStarted, 0);

    private static InboxGate Gate(string id, InboxGateState state, string kind = GateKinds.Permission) => new(
        new GateRequest(id, "builder", 1, kind, kind == GateKinds.Question ? "AskUserQuestion" : "Bash", "rm -rf build", null, "destructive: rm -rf: a person decides", T0.AddSeconds(5), kind == GateKinds.Question ? null : "Bash(rm -rf build)"),
        "/tmp/my fleet/iterations/1", state, null, null);

    public static TheoryData<string, JournalEntry[], string[]> Journals => new()
    {
        { "a run that only started", [Started, Entry(JournalTypes.WorkerSpawning, 1, "builder", 1)], [] },
        { "a limited worker, each attempt once", [Started, Entry(JournalTypes.WorkerLimited, 1, "builder", 1, "limited", "rate limit: slow down"), Entry(JournalTypes.WorkerLimited, 2, "builder", 1, "limited", "rate limit: again", attempt: 2)],
            ["r-1/worker_limited/builder/1/1", "r-1/worker_limited/builder/1/2"] },
        { "a lost worker, not a failed one", [Started, Entry(JournalTypes.WorkerEnded, 1, "a", 1, "failed", "lost: ran, outcome unknown (…)"), Entry(JournalTypes.WorkerEnded, 2, "b", 1, "failed", "exit 1")],
            ["r-1/worker_lost/a/1"] },
        { "an escalation, then a pause after a resume", [Started, Entry(JournalTypes.Paused, 1, iteration: 1, outcome: "escalated", reason: "unsure"), Entry(JournalTypes.Resumed, 2), Entry(JournalTypes.Paused, 3, iteration: 2, outcome: "paused", reason: "a person")],
            ["r-1/run_escalated/1/1", "r-1/run_paused/2/2"] },
        { "the cost cap and the end", [Started, Entry(JournalTypes.CostCapReached, 1, reason: "spent $1 of $1"), Entry(JournalTypes.RunEnded, 2, outcome: "failed", reason: "cost cap reached")],
            ["r-1/cost_cap_reached/cap", "r-1/run_ended/end"] },
        { "the cost cap journaled twice is one event", [Started, Entry(JournalTypes.CostCapReached, 1), Entry(JournalTypes.OrchestratorStarted, 2), Entry(JournalTypes.CostCapReached, 3)],
            ["r-1/cost_cap_reached/cap"] },
        { "only the latest run counts", [Started, Entry(JournalTypes.RunEnded, 1, outcome: "failed"), Entry(JournalTypes.RunStarted, 2) with { Run = "r-2" }, Entry(JournalTypes.WorkerLimited, 3, "w", 1) with { Run = "r-2" }],
            ["r-2/worker_limited/w/1/1"] },
        { "no run at all", [Entry(JournalTypes.WorkerLimited, 3, "w", 1)], [] },
    };

    [Theory]
    [MemberData(nameof(Journals))]
    public void Each_record_that_needs_a_person_gives_one_event_with_an_id_taken_from_the_record(string because, JournalEntry[] journal, string[] ids)
    {
        NotificationEvents.Derive(Context, journal, []).Select(e => e.Id).ShouldBe(ids, because);
    }

    [Theory]
    [InlineData(InboxGateState.Open, true)]
    [InlineData(InboxGateState.Answered, false)]
    [InlineData(InboxGateState.Closed, false)]
    [InlineData(InboxGateState.Abandoned, false)]
    public void Only_a_gate_someone_waits_on_is_announced(InboxGateState state, bool announced)
    {
        var events = NotificationEvents.Derive(Context, [Started], [Gate("builder-1-1", state)]);

        events.Select(e => e.Id).ShouldBe(announced ? ["r-1/gate_opened/builder-1-1"] : []);
    }

    [Fact]
    public void A_gate_event_carries_the_exact_request_the_answer_commands_and_the_dashboard()
    {
        var e = NotificationEvents.Derive(Context with { Dashboard = "http://127.0.0.1:4242/" }, [Started], [Gate("builder-1-1", InboxGateState.Open)]).ShouldHaveSingleItem();

        e.Type.ShouldBe(NotificationTypes.GateOpened);
        e.At.ShouldBe(T0.AddSeconds(5));
        e.Gate.ShouldNotBeNull().Summary.ShouldBe("rm -rf build");
        e.Gate.Tool.ShouldBe("Bash");
        e.Commands.ShouldBe(["fleet approve '/tmp/my fleet' builder-1-1", "fleet approve '/tmp/my fleet' builder-1-1 --always", "fleet deny '/tmp/my fleet' builder-1-1 --message TEXT"]);
        e.Dashboard.ShouldBe("http://127.0.0.1:4242/");
        NotificationEvents.Text(e).ShouldBe("""
            demo: builder wants Bash: rm -rf build (gate builder-1-1; destructive: rm -rf: a person decides)
              fleet approve '/tmp/my fleet' builder-1-1
              fleet approve '/tmp/my fleet' builder-1-1 --always
              fleet deny '/tmp/my fleet' builder-1-1 --message TEXT
              http://127.0.0.1:4242/
            """);
    }

    [Fact]
    public void A_question_is_answered_with_fleet_answer()
    {
        var e = NotificationEvents.Derive(Context, [Started], [Gate("builder-1-2", InboxGateState.Open, GateKinds.Question)]).ShouldHaveSingleItem();

        e.Commands.ShouldBe(["fleet answer '/tmp/my fleet' builder-1-2 ANSWER…", "fleet deny '/tmp/my fleet' builder-1-2 --message TEXT"]);
        e.Dashboard.ShouldBeNull();
    }

    [Fact]
    public void The_same_records_give_the_same_events_however_often_they_are_read()
    {
        JournalEntry[] journal = [Started, Entry(JournalTypes.WorkerLimited, 1, "w", 1), Entry(JournalTypes.Paused, 2, iteration: 1, outcome: "paused"), Entry(JournalTypes.RunEnded, 3, outcome: "paused")];
        InboxGate[] gates = [Gate("w-1-1", InboxGateState.Open)];

        var first = NotificationEvents.Derive(Context, journal, gates);
        var again = NotificationEvents.Derive(Context, [.. journal], [.. gates]);

        again.Select(e => (e.Id, e.Type, e.Summary, e.At)).ShouldBe(first.Select(e => (e.Id, e.Type, e.Summary, e.At)));
        first.Select(e => e.Type).ShouldBe([NotificationTypes.WorkerLimited, NotificationTypes.RunPaused, NotificationTypes.RunEnded, NotificationTypes.GateOpened]);
    }
}
