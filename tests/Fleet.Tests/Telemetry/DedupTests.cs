using System.Text.Json;
using Fleet.Pricing;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Fleet.Tests.Telemetry;

public sealed class DedupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(UsageReportJson Usage, IReadOnlyDictionary<string, long> Counts, string Db)> IngestAsync(TempDir dir, string name, IReadOnlyList<string> paths, PrivacyLevel privacy = PrivacyLevel.Metadata)
    {
        var db = dir.Combine(name);
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, new IngestOptions { Privacy = privacy }, Ct).SlowTimeout();
        var usage = await UsageReport.BuildAsync(store, UsageGrouping.Day, null, null, PriceTable.Default, Ct).DefaultTimeout();
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

    private const string RuleSession = "0d0d0d0d-1111-2222-3333-444444444444";

    /// <summary>
    /// Lines that exercise every branch of ccusage's rule, in three files read in this order. What must be stored:
    /// (m1, r1) once with the larger total, (m1, r2) on its own, m2, m3 without a request id (the larger one),
    /// m4 from the main file (a non-sidechain line beats a sidechain one), m5; the sidechain replay of m1 adds nothing.
    /// </summary>
    private static string[] WriteRuleFiles(TempDir dir)
    {
        string Line(bool sidechain, string message, string? request, long output, int second) =>
            $$$"""{"parentUuid":null,"isSidechain":{{{(sidechain ? "true" : "false")}}},"sessionId":"{{{RuleSession}}}","type":"assistant",{{{(request is null ? "" : $"\"requestId\":\"{request}\",")}}}"message":{"id":"{{{message}}}","model":"claude-sonnet-4-5","role":"assistant","content":[],"usage":{"input_tokens":1,"output_tokens":{{{output}}}}},"timestamp":"2026-02-23T12:00:{{{second:00}}}.000Z"}""";
        return
        [
            dir.Write("rules/1-main.jsonl", string.Join('\n',
                Line(false, "m1", "r1", 5, 1),
                Line(false, "m1", "r1", 9, 2),    // same call, larger total: replaces
                Line(false, "m1", "r1", 3, 3),    // same call, smaller: ignored
                Line(false, "m1", "r2", 4, 4),    // same message, another request, main thread: another call
                Line(false, "m2", "r3", 1, 5),
                Line(false, "m3", null, 2, 6),
                Line(false, "m3", null, 6, 7)) + "\n"), // no request id on either: the same call, larger wins
            dir.Write("rules/2-agent.jsonl", string.Join('\n',
                Line(true, "m1", "r9", 100, 8),   // a sidechain replay of m1: the main line stays
                Line(true, "m4", "r4", 7, 9)) + "\n"),
            dir.Write("rules/3-main.jsonl", string.Join('\n',
                Line(false, "m4", "r5", 1, 10),   // the main thread's m4 replaces the sidechain's, fewer tokens or not
                Line(false, "m5", "r6", 2, 11)) + "\n"),
        ];
    }

    private static readonly string[] RuleRows = ["m1 r1 0 9", "m1 r2 0 4", "m2 r3 0 1", "m3 - 0 6", "m4 r5 0 1", "m5 r6 0 2"];

    private static async Task<List<string>> CallRowsAsync(string db, string sql = "SELECT s.path, c.line, c.provider, c.session_id, c.agent_id, c.sidechain, c.ts, c.model, c.message_id, c.request_id, c.input, c.output, c.cache_write_5m, c.cache_write_1h, c.cache_read, c.reasoning, c.fast FROM model_calls c JOIN sources s ON s.id = c.source_id ORDER BY s.path, c.line")
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct).DefaultTimeout();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct).DefaultTimeout();
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct).DefaultTimeout())
            rows.Add(string.Join(' ', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "-" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    }

    private static async Task IngestIntoAsync(string db, IReadOnlyList<string> paths, int keyBits = 64, int tableLimit = StoreWriter.DefaultTableLimit)
    {
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, new IngestOptions { DedupKeyBits = keyBits, DedupTableLimit = tableLimit }, Ct).SlowTimeout();
    }

    [Fact]
    public async Task Colliding_dedup_hashes_never_merge_two_calls_and_every_way_of_finding_duplicates_stores_the_same_rows()
    {
        using var dir = new TempDir();
        WriteRuleFiles(dir);
        var claude = Corpus.Claude("spotter__ae4a77f8__main-skill-model-switch-manual-compact.jsonl");
        var codex = Corpus.Codex("12-40-23");
        File.Copy(claude, dir.Combine("replayed-copy.jsonl"));
        File.Copy(codex, dir.Combine("rollout-fork-copy.jsonl"));
        string[] paths = [dir.Path, Corpus.Dir];

        // A first ingest into an empty store: candidates from the hash table, read back by rowid.
        var hashed = dir.Combine("hashed.db");
        await IngestIntoAsync(hashed, paths);
        var expected = await CallRowsAsync(hashed);

        // Every Claude message id and every Codex key hashed alike: only the rows read back tell calls apart.
        var colliding = dir.Combine("colliding.db");
        await IngestIntoAsync(colliding, paths, keyBits: 0);

        // A store that is not empty: candidates looked up through the store's indexes, within the ingest and across two.
        var seed = dir.Write("seed/prompt-only.jsonl", $$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{RuleSession}}","type":"user","message":{"role":"user","content":"hi"},"timestamp":"2026-02-23T11:00:00.000Z"}""" + "\n");
        // A first ingest whose hash table fills up (as past about 6 GB of transcripts): the lookups move to the indexes.
        var spilled = dir.Combine("spilled.db");
        await IngestIntoAsync(spilled, paths, tableLimit: 100);

        var indexed = dir.Combine("indexed.db");
        await IngestIntoAsync(indexed, [seed]);
        await IngestIntoAsync(indexed, paths);
        var files = TranscriptDiscovery.Expand(paths).Select(f => f.Path).Where(f => !f.StartsWith(Path.GetDirectoryName(seed)!, StringComparison.Ordinal)).ToList();
        var split = dir.Combine("split.db");
        await IngestIntoAsync(split, files[..(files.Count / 2)]);
        await IngestIntoAsync(split, paths);

        expected.Count.ShouldBeGreaterThan(1000);
        (await CallRowsAsync(colliding)).ShouldBe(expected);
        (await CallRowsAsync(indexed)).ShouldBe(expected);
        (await CallRowsAsync(split)).ShouldBe(expected);
        (await CallRowsAsync(spilled)).ShouldBe(expected);

        var rules = await CallRowsAsync(hashed, $"SELECT message_id, request_id, sidechain, output FROM model_calls WHERE session_id = '{RuleSession}'");
        rules.Order(StringComparer.Ordinal).ShouldBe(RuleRows);

        // Whichever of a file and its copy is read first keeps every row; the other adds none.
        foreach (var (original, copy) in new[] { (claude, dir.Combine("replayed-copy.jsonl")), (codex, dir.Combine("rollout-fork-copy.jsonl")) })
        {
            var fromOriginal = expected.Count(r => r.StartsWith(original + " ", StringComparison.Ordinal));
            var fromCopy = expected.Count(r => r.StartsWith(copy + " ", StringComparison.Ordinal));
            (fromOriginal + fromCopy).ShouldBeGreaterThan(0);
            Math.Min(fromOriginal, fromCopy).ShouldBe(0);
        }
    }

    [Fact]
    public async Task An_ingest_into_a_filled_store_looks_each_call_up_through_an_index_instead_of_reading_every_stored_call()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        await IngestIntoAsync(db, [Corpus.Dir]);

        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        async Task<string> PlanAsync(string sql)
        {
            await using var explain = store.Connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + sql; // parameters left unbound: only the plan is read
            await using var rows = await explain.ExecuteReaderAsync(Ct).DefaultTimeout();
            var steps = new List<string>();
            while (await rows.ReadAsync(Ct).DefaultTimeout())
                steps.Add(rows.GetString(3));
            return string.Join('\n', steps);
        }

        var claude = await PlanAsync(StoreWriter.ClaudeCandidatesByMessage);
        claude.ShouldContain("USING INDEX model_calls_message (message_id=?)");
        claude.ShouldNotContain("SCAN");
        var codex = await PlanAsync(StoreWriter.CodexDuplicateByTime);
        codex.ShouldContain("USING INDEX model_calls_ts (ts=?)");
        codex.ShouldNotContain("SCAN");
    }

    [Fact]
    public void The_dedup_table_finds_every_row_stored_under_a_key_oldest_first_through_growth_and_narrowed_keys()
    {
        var table = new DedupTable();
        for (long row = 1; row <= 5000; row++)
            table.Add(DedupTable.Hash($"msg_{row % 1000}", 7), row);

        var rows = new List<long>();
        table.Find(DedupTable.Hash("msg_42", 7), rows);
        rows.ShouldBe([42, 1042, 2042, 3042, 4042]);
        rows.Clear();
        table.Find(DedupTable.Hash("msg_absent", 7), rows);
        rows.ShouldBeEmpty();
        table.Count.ShouldBe(5000);

        // With no key bits left every key is the same key: every row is a candidate, oldest first.
        var narrowed = new DedupTable(keyBits: 0);
        for (long row = 3000; row >= 1; row--)
            narrowed.Add(DedupTable.Hash($"msg_{row}", 7), row);
        narrowed.Find(DedupTable.Hash("anything", 7), rows);
        rows.ShouldBe(Enumerable.Range(1, 3000).Select(i => (long)i));
    }
}
