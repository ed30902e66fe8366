using System.Text.Json;
using Fleet.Telemetry;
using Fleet.Telemetry.Pricing;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

public sealed class DedupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(UsageReportJson Usage, IReadOnlyDictionary<string, long> Counts, string Db)> IngestAsync(TempDir dir, string name, IReadOnlyList<string> paths, PrivacyLevel privacy = PrivacyLevel.Metadata)
    {
        var db = dir.Combine(name);
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, new IngestOptions { Privacy = privacy }, Ct).SlowTimeout();
        var usage = await UsageReport.BuildAsync(store, UsageGrouping.Day, null, null, TranscriptPrices.Default, Ct).DefaultTimeout();
        return (usage, await store.CountByKindAsync(Ct).DefaultTimeout(), db);
    }

    [Fact]
    public async Task A_claude_session_replayed_in_a_second_file_is_billed_once()
    {
        using var dir = new TempDir();
        var original = Corpus.Claude("spotter__ae4a77f8__main-skill-model-switch-manual-compact.jsonl");
        var copy = dir.Combine("resumed-copy.jsonl");
        File.Copy(original, copy);

        var (once, _, _) = await IngestAsync(dir, "once.db", [original]);
        var (twice, counts, _) = await IngestAsync(dir, "twice.db", [original, copy]);

        twice.Totals.ShouldBe(once.Totals);
        counts["tool_call"].ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_codex_fork_that_copies_its_parent_history_is_billed_once()
    {
        using var dir = new TempDir();
        var parent = Corpus.Codex("12-40-23");
        var fork = dir.Combine("rollout-fork.jsonl");
        File.Copy(parent, fork);

        var (once, _, _) = await IngestAsync(dir, "once.db", [parent]);
        var (both, _, _) = await IngestAsync(dir, "both.db", [parent, fork]);

        both.Totals.ShouldBe(once.Totals);
        once.Totals.TotalTokens.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Only_the_start_of_a_long_tool_output_is_decoded_and_the_gate_is_still_found()
    {
        using var dir = new TempDir();
        string Line(object o) => JsonSerializer.Serialize(o);
        var env = new { sessionId = "s", timestamp = "2026-02-10T10:00:00Z", isSidechain = false };
        var lines = new[]
        {
            Line(new { env.sessionId, env.timestamp, env.isSidechain, type = "assistant", requestId = "r1", message = new { id = "m1", model = "claude-opus-4-6", usage = new { input_tokens = 1, output_tokens = 1 }, content = new object[] { new { type = "tool_use", id = "t1", name = "ExitPlanMode", input = new { plan = "p" } }, new { type = "tool_use", id = "t2", name = "Bash", input = new { command = "ls" } } } } }),
            Line(new { env.sessionId, env.timestamp, env.isSidechain, type = "user", message = new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = "t1", content = "User has approved your plan. You can now start coding. " + new string('é', 20_000) } } } }),
            Line(new { env.sessionId, env.timestamp, env.isSidechain, type = "user", message = new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = "t2", is_error = true, content = "The user doesn't want to proceed with this tool use. The tool use was rejected. To tell you how to proceed, the user said:\nuse \"dir\" instead " + new string('x', 20_000) } } } }),
        };
        var file = dir.Write("s.jsonl", string.Join('\n', lines) + "\n");

        var (_, counts, db) = await IngestAsync(dir, "t.db", [file], PrivacyLevel.Full);

        counts["approval"].ShouldBe(1);
        counts["rejection"].ShouldBe(1);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT text FROM events WHERE kind = 'rejection'";
        var feedback = (string)command.ExecuteScalar()!;
        feedback.ShouldStartWith("use \"dir\" instead");
        feedback.Length.ShouldBeGreaterThan(20_000); // full level keeps the whole feedback
    }
}
