using System.Text.Json;
using Fleet.Gates;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

/// <summary>Gates in the flight recorder, from a run scripted the way the shim and the orchestrator write it.</summary>
public sealed class GateTelemetryTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Compact = new(GateJsonContext.Default.Options) { WriteIndented = false };
    private readonly TempDir _dir = new("fleet-gates-telemetry-");

    public GateTelemetryTests()
    {
        Layout = new FleetLayout(_dir.Combine("fleet"));
        Directory.CreateDirectory(Layout.Root);
    }

    private FleetLayout Layout { get; }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Gates_per_worker_of_a_scripted_run_are_exactly_the_scripted_numbers_and_a_second_ingest_adds_none()
    {
        // Run r-1: a asks twice in iteration 1 (a person allows one, a rule the other) and once in 2 (a person denies);
        // b asks a question in 1 (a person answers); the reviewer escalates after 1, a person resumes 2 minutes later;
        // a's prompt.md changes before iteration 2; a person kills b in iteration 2.
        await JournalAsync(
            Entry(JournalTypes.RunStarted, 0) with { Run = "r-1", Fleet = "scripted" },
            Entry(JournalTypes.WorkerSpawning, 1, "a", 1) with { Brief = "hash-1" },
            Entry(JournalTypes.WorkerSpawning, 1, "b", 1),
            Entry(JournalTypes.Paused, 10, iteration: 1) with { Outcome = "escalated", Reason = "needs a product decision" },
            Entry(JournalTypes.Resumed, 12) with { Reason = "resumed by a person" },
            Entry(JournalTypes.WorkerSpawning, 13, "a", 2) with { Brief = "hash-2" },
            Entry(JournalTypes.WorkerSpawning, 13, "b", 2),
            Entry(JournalTypes.Killed, 20, "b", 2) with { Reason = "killed by a person" });
        Log(Layout.IterationDir(1), "a",
            Gate("a-1-1", "a", 1, "permission", "Bash", "allow", "person", waitedMs: 4_000),
            Gate("a-1-2", "a", 1, "permission", "Read", "allow", "rule", waitedMs: 0, rule: "Read(/w/**)"));
        Log(Layout.IterationDir(2), "a", Gate("a-2-1", "a", 2, "permission", "Bash", "deny", "person", waitedMs: 6_000));
        Log(Layout.IterationDir(1), "b", Gate("b-1-1", "b", 1, "question", "AskUserQuestion", "answer", "person", waitedMs: 30_000), indented: true);

        // An earlier run's archived iterations belong to that run, not to r-1.
        Log(Path.Combine(Layout.StateDir, "runs", "r-0", "iterations", "1"), "a", Gate("a-1-1", "a", 1, "permission", "Bash", "allow", "person", waitedMs: 1));

        var first = await GatesAsync("--run", "r-1");
        var second = await GatesAsync("--run", "r-1");

        foreach (var report in new[] { first, second })
        {
            var root = report.RootElement;
            root.GetProperty("gates").GetInt64().ShouldBe(8);
            root.GetProperty("by_person").GetInt64().ShouldBe(7);
            root.GetProperty("by_rule").GetInt64().ShouldBe(1);
            root.GetProperty("pending").GetInt64().ShouldBe(0);
            var workers = root.GetProperty("workers").EnumerateArray().ToDictionary(w => w.GetProperty("worker").GetString() ?? "(run)");
            workers.Keys.Order(StringComparer.Ordinal).ShouldBe(["(run)", "a", "b"]);
            workers["a"].GetProperty("gates").GetInt64().ShouldBe(4); // 3 permissions + the prompt.md edit
            workers["a"].GetProperty("by_rule").GetInt64().ShouldBe(1);
            workers["a"].GetProperty("waited_seconds").GetDouble().ShouldBe(10.0);
            workers["b"].GetProperty("gates").GetInt64().ShouldBe(2); // the question + the kill
            workers["(run)"].GetProperty("gates").GetInt64().ShouldBe(2); // the escalation + the resume
            workers["(run)"].GetProperty("waited_seconds").GetDouble().ShouldBe(240.0); // escalation answered after 2m; the resume ended a 2m wait
            workers.Values.ShouldAllBe(w => w.GetProperty("fleet").GetString() == "scripted");
            var kinds = root.GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!, k => k.GetProperty("gates").GetInt64());
            kinds.ShouldBe(new Dictionary<string, long> { ["escalation"] = 1, ["kill"] = 1, ["permission"] = 3, ["prompt_edit"] = 1, ["question"] = 1, ["resume"] = 1 }, ignoreOrder: true);
        }

        var all = await GatesAsync();
        all.RootElement.GetProperty("gates").GetInt64().ShouldBe(9);
    }

    [Fact]
    public async Task An_escalation_no_one_answered_is_pending_until_a_later_ingest_sees_the_resume()
    {
        await JournalAsync(
            Entry(JournalTypes.RunStarted, 0) with { Run = "r-2", Fleet = "waits" },
            Entry(JournalTypes.Paused, 5, iteration: 1) with { Outcome = "escalated", Reason = "which API?" });

        var pending = await GatesAsync("--run", "r-2");
        pending.RootElement.GetProperty("gates").GetInt64().ShouldBe(1);
        pending.RootElement.GetProperty("pending").GetInt64().ShouldBe(1);

        await JournalAsync(Entry(JournalTypes.Resumed, 9) with { Reason = "resumed by a person" });
        var decided = await GatesAsync("--run", "r-2");

        decided.RootElement.GetProperty("gates").GetInt64().ShouldBe(2);
        decided.RootElement.GetProperty("pending").GetInt64().ShouldBe(0);
        decided.RootElement.GetProperty("by_person").GetInt64().ShouldBe(2);
    }

    [Fact]
    public async Task The_telemetry_schema_publishes_the_gate_kind_and_the_fleet_provider()
    {
        var (code, console) = await TestConsole.RunAsync(_dir.Path, "telemetry", "schema");
        using var _ = console;

        code.ShouldBe(0);
        console.Stdout.ShouldContain("\"gate\"");
        console.Stdout.ShouldContain("\"fleet\"");
        foreach (var field in new[] { "gate_id", "gate_kind", "asked", "decision", "decided_by", "decided_at", "waited_ms" })
            console.Stdout.ShouldContain($"\"{field}\"");
    }

    private async Task<JsonDocument> GatesAsync(params string[] filter)
    {
        var (code, console) = await TestConsole.RunAsync(_dir.Path, ["telemetry", "gates", Layout.Root, "--db", "t.db", "--json", .. filter]);
        using var _ = console;
        code.ShouldBe(0, console.Stderr);
        return JsonDocument.Parse(console.Stdout);
    }

    private static JournalEntry Entry(string type, int minutes, string? worker = null, int? iteration = null) =>
        new() { Type = type, Ts = T0.AddMinutes(minutes), Worker = worker, Iteration = iteration };

    private async Task JournalAsync(params JournalEntry[] entries)
    {
        var journal = new Journal(Layout.JournalFile, TimeProvider.System);
        foreach (var entry in entries)
            await journal.AppendAsync(entry, TestContext.Current.CancellationToken);
    }

    private static GateRecord Gate(string id, string worker, int iteration, string kind, string tool, string decision, string decidedBy, long waitedMs, string? rule = null) =>
        new(id, worker, iteration, kind, tool, "the exact request", decision, decidedBy, rule, null, T0, T0.AddMilliseconds(waitedMs), waitedMs);

    private static void Log(string iterationDir, string worker, params GateRecord[] records) => Log(iterationDir, worker, records, indented: false);

    private static void Log(string iterationDir, string worker, GateRecord record, bool indented) => Log(iterationDir, worker, [record], indented);

    private static void Log(string iterationDir, string worker, GateRecord[] records, bool indented)
    {
        Directory.CreateDirectory(iterationDir);
        var options = indented ? GateJsonContext.Default.Options : Compact;
        File.AppendAllText(GatePaths.Log(iterationDir, worker), string.Concat(records.Select(r => JsonSerializer.Serialize(r, options) + "\n")));
    }
}
