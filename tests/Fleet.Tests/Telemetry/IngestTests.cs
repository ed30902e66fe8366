using System.Text;
using Fleet.Pricing;
using Fleet.Telemetry;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Streams;

namespace Fleet.Tests.Telemetry;

public sealed class IngestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(IngestReport Report, UsageReportJson Usage)> IngestAsync(string db, IReadOnlyList<string> paths, IngestOptions? options = null)
    {
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        var report = await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, options ?? IngestOptions.Default, Ct).SlowTimeout();
        var usage = await UsageReport.BuildAsync(store, UsageGrouping.Model, null, null, PriceTable.Default, Ct).DefaultTimeout();
        return (report, usage);
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountsAsync(string db)
    {
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        return await store.CountByKindAsync(Ct).DefaultTimeout();
    }

    [Fact]
    public async Task Ingesting_the_same_corpus_twice_leaves_every_total_unchanged()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        var (first, usage1) = await IngestAsync(db, [Corpus.Dir]);
        var counts1 = await CountsAsync(db);
        var (second, usage2) = await IngestAsync(db, [Corpus.Dir]);
        var counts2 = await CountsAsync(db);

        first.ModelCalls.ShouldBeGreaterThan(1000);
        second.LinesRead.ShouldBe(0);
        second.Records.ShouldBe(0);
        second.ModelCalls.ShouldBe(0);
        usage2.Totals.ShouldBe(usage1.Totals);
        usage2.ByModel.ShouldBe(usage1.ByModel);
        counts2.ShouldBe(counts1);
    }

    private static async Task<List<string>> IndexesAsync(string db)
    {
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await using var command = store.Connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(Ct).DefaultTimeout();
        var names = new List<string>();
        while (await reader.ReadAsync(Ct).DefaultTimeout())
            names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public async Task A_first_ingest_into_an_empty_store_leaves_every_index_in_place_and_an_abandoned_one_restores_them()
    {
        using var dir = new TempDir();
        var fresh = dir.Combine("fresh.db");
        await using (var _ = await TelemetryStore.OpenAsync(fresh, Ct).DefaultTimeout())
        {
        }

        var expected = await IndexesAsync(fresh);
        expected.ShouldContain("model_calls_ts");
        expected.ShouldContain("model_calls_message");

        // The bulk path drops the report indexes inside its transaction: abandoning it must bring them back.
        await using (var store = await TelemetryStore.OpenAsync(fresh, Ct).DefaultTimeout())
        {
            using var writer = await StoreWriter.BeginAsync(store, Ct).DefaultTimeout();
        }

        (await IndexesAsync(fresh)).ShouldBe(expected);

        var db = dir.Combine("t.db");
        await IngestAsync(db, [Corpus.Dir]);
        (await IndexesAsync(db)).ShouldBe(expected);
        await IngestAsync(db, [Corpus.Dir]);
        (await IndexesAsync(db)).ShouldBe(expected);

        await using var check = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await using var plan = check.Connection.CreateCommand();
        plan.CommandText = $"EXPLAIN QUERY PLAN {StoreWriter.CodexDuplicateByTime}";
        await using var rows = await plan.ExecuteReaderAsync(Ct).DefaultTimeout();
        var steps = new List<string>();
        while (await rows.ReadAsync(Ct).DefaultTimeout())
            steps.Add(rows.GetString(3));
        string.Join("\n", steps).ShouldContain("model_calls_ts");
    }

    [Fact]
    public async Task Appending_lines_to_a_file_and_ingesting_again_adds_exactly_those_lines()
    {
        using var dir = new TempDir();
        var source = File.ReadAllLines(Corpus.Claude("spotter__258c7280__main-compaction.jsonl"));
        var copy = dir.Combine("projects", "p", "session.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        var half = source.Length / 2;
        await File.WriteAllLinesAsync(copy, source[..half], Ct);

        var (first, _) = await IngestAsync(dir.Combine("inc.db"), [copy]);
        await File.AppendAllLinesAsync(copy, source[half..], Ct);
        var (second, incremental) = await IngestAsync(dir.Combine("inc.db"), [copy]);
        var (_, whole) = await IngestAsync(dir.Combine("whole.db"), [copy]);

        first.LinesRead.ShouldBe(half);
        second.LinesRead.ShouldBe(source.Length - half);
        second.Files.Single().Reread.ShouldBeFalse();
        incremental.Totals.ShouldBe(whole.Totals);
        (await CountsAsync(dir.Combine("inc.db"))).ShouldBe(await CountsAsync(dir.Combine("whole.db")));
    }

    [Fact]
    public async Task A_tool_result_read_in_a_later_ingest_settles_the_call_stored_as_pending()
    {
        using var dir = new TempDir();
        var source = File.ReadAllLines(Corpus.Claude("spotter__258c7280__main-compaction.jsonl"));
        // Cut right after the first line that calls a tool: its result is in the second part.
        var cut = Array.FindIndex(source, l => l.Contains("\"type\":\"tool_use\"", StringComparison.Ordinal)) + 1;
        cut.ShouldBeGreaterThan(0);
        var copy = dir.Combine("projects", "p", "session.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        await File.WriteAllLinesAsync(copy, source[..cut], Ct);

        await IngestAsync(dir.Combine("inc.db"), [copy]);
        var pending = await OutcomesAsync(dir.Combine("inc.db"));
        await File.AppendAllLinesAsync(copy, source[cut..], Ct);
        await IngestAsync(dir.Combine("inc.db"), [copy]);
        await IngestAsync(dir.Combine("whole.db"), [copy]);

        var settled = await OutcomesAsync(dir.Combine("inc.db"));
        var lastCall = $"{cut}|";
        pending.Where(o => o.StartsWith(lastCall, StringComparison.Ordinal)).ShouldNotBeEmpty();
        pending.Where(o => o.StartsWith(lastCall, StringComparison.Ordinal)).ShouldAllBe(o => o.EndsWith("|pending", StringComparison.Ordinal));
        settled.Where(o => o.StartsWith(lastCall, StringComparison.Ordinal)).ShouldAllBe(o => !o.EndsWith("|pending", StringComparison.Ordinal));
        settled.ShouldBe(await OutcomesAsync(dir.Combine("whole.db")));
    }

    private static async Task<List<string>> OutcomesAsync(string db)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct).DefaultTimeout();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT line, tool_use_id, outcome FROM events WHERE kind = 'tool_call' ORDER BY line, id";
        await using var reader = await command.ExecuteReaderAsync(Ct).DefaultTimeout();
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct).DefaultTimeout())
            rows.Add($"{reader.GetInt64(0)}|{reader.GetString(1)}|{reader.GetString(2)}");
        return rows;
    }

    [Fact]
    public async Task Appending_codex_snapshots_keeps_billing_deltas_across_passes()
    {
        using var dir = new TempDir();
        var source = File.ReadAllLines(Corpus.Codex("12-54-34"));
        var copy = dir.Combine("rollout.jsonl");
        await File.WriteAllLinesAsync(copy, source[..(source.Length / 3)], Ct);
        await IngestAsync(dir.Combine("inc.db"), [copy]);
        await File.AppendAllLinesAsync(copy, source[(source.Length / 3)..], Ct);
        var (_, incremental) = await IngestAsync(dir.Combine("inc.db"), [copy]);
        var (_, whole) = await IngestAsync(dir.Combine("whole.db"), [copy]);

        incremental.Totals.ShouldBe(whole.Totals);
        incremental.Totals.CacheReadTokens.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_cut_off_last_line_is_reported_and_read_once_it_is_complete()
    {
        using var dir = new TempDir();
        var lines = File.ReadAllLines(Corpus.Claude("spotter__short__reject-interrupt.jsonl"));
        var last = lines[^1];
        var file = dir.Combine("s.jsonl");
        await File.WriteAllTextAsync(file, string.Join('\n', lines[..^1]) + "\n" + last[..(last.Length / 2)], Ct);

        var (first, _) = await IngestAsync(dir.Combine("t.db"), [file]);
        first.Files.Single().TruncatedTail.ShouldBeTrue();
        first.Files.Single().Malformed.ShouldBe(0);
        first.LinesRead.ShouldBe(lines.Length - 1);

        await File.AppendAllTextAsync(file, last[(last.Length / 2)..] + "\n", Ct);
        var (second, _) = await IngestAsync(dir.Combine("t.db"), [file]);
        second.Files.Single().TruncatedTail.ShouldBeFalse();
        second.LinesRead.ShouldBe(1);
    }

    [Fact]
    public async Task Malformed_lines_and_unknown_types_are_counted_per_file_and_never_crash()
    {
        using var dir = new TempDir();
        var lines = File.ReadAllLines(Corpus.Claude("spotter__short__reject-interrupt.jsonl")).ToList();
        lines.Insert(3, "{not json");
        lines.Insert(5, "[1,2,3]");
        lines.Insert(7, "{\"type\":\"from-the-future\",\"sessionId\":\"x\",\"payload\":7}");
        lines.Insert(8, " \t \r"); // blank lines are not malformed
        lines.Insert(9, "");
        var file = dir.Combine("s.jsonl");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        bytes.AddRange([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D, 0x0A]); // invalid UTF-8 inside a string
        bytes.AddRange(Encoding.UTF8.GetBytes(lines[1] + "\n"));
        await File.WriteAllBytesAsync(file, [.. bytes], Ct);

        var (report, usage) = await IngestAsync(dir.Combine("t.db"), [file]);

        report.Files.Single().Malformed.ShouldBe(3);
        usage.Totals.TotalTokens.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_replaced_file_is_read_again_and_its_old_records_removed()
    {
        using var dir = new TempDir();
        var file = dir.Combine("rollout.jsonl");
        File.Copy(Corpus.Codex("12-40-23"), file);
        var (_, before) = await IngestAsync(dir.Combine("t.db"), [file]);
        File.Copy(Corpus.Codex("20-34-25"), file, overwrite: true);
        var (report, after) = await IngestAsync(dir.Combine("t.db"), [file]);
        var (_, fresh) = await IngestAsync(dir.Combine("fresh.db"), [file]);

        report.Files.Single().Reread.ShouldBeTrue();
        after.Totals.ShouldBe(fresh.Totals);
        after.Totals.ShouldNotBe(before.Totals);
    }

    [Fact]
    public async Task The_orchestrator_tags_a_worker_log_with_its_run_and_usage_groups_by_worker()
    {
        using var dir = new TempDir();
        var log = Captures.Codex("CX_A");
        await using (var store = await TelemetryStore.OpenAsync(dir.Combine("t.db"), Ct).DefaultTimeout())
        {
            var ingestor = new TelemetryIngestor(store, TimeProvider.System);
            var report = await ingestor.IngestAsync(log, new RunTags("run-1", "demo", "builder-a", 2, "#12"), Ct).DefaultTimeout();
            report.Files.Single().Format.ShouldBe("codex-exec-json");
            var usage = await UsageReport.BuildAsync(store, UsageGrouping.Worker, null, null, PriceTable.Default, Ct).DefaultTimeout();
            usage.Rows.Single().Key.ShouldBe("demo/builder-a");
            usage.Rows.Single().InputTokens.ShouldBe(1001 - 800);
            usage.Rows.Single().CacheReadTokens.ShouldBe(800);
        }
    }

    [Fact]
    public async Task Claude_stream_logs_record_tool_calls_and_permission_denials()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        var paths = Captures.ClaudeNames.Select(Captures.Claude).Where(p => new FileInfo(p).Length > 0).ToList();
        var (report, usage) = await IngestAsync(db, paths);

        report.Files.ShouldAllBe(f => f.Format == "claude-stream-json");
        var counts = await CountsAsync(db);
        counts["tool_call"].ShouldBeGreaterThan(0);
        counts.Keys.ShouldContain("permission_denied");
        usage.ByModel.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_pretty_printed_single_event_file_is_read_when_named()
    {
        using var dir = new TempDir();
        var (report, usage) = await IngestAsync(dir.Combine("t.db"), [Corpus.Stream("claude-agent-sdk-gleam__v2.1.3__result_success.json")]);

        report.Files.Single().Format.ShouldBe("claude-stream-json");
        report.Files.Single().Malformed.ShouldBe(0);
        usage.Totals.CostUsd.ShouldBeGreaterThan(0m);
    }

    [Fact]
    public async Task A_price_file_reprices_what_is_already_stored()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        var (_, usage) = await IngestAsync(db, [Corpus.Codex("12-41-04")]);
        var prices = dir.Write("prices.json", """{"models": {"gpt-5.3-codex": {"input": 3.5, "cached_input": 0.35, "output": 28}}}""");
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        var doubled = await UsageReport.BuildAsync(store, UsageGrouping.Model, null, null, PriceTable.Load(prices), Ct).DefaultTimeout();

        doubled.Totals.CostUsd.ShouldBe(usage.Totals.CostUsd * 2, 0.000001m);
    }

    [Fact]
    public void Claude_long_context_tiers_apply_per_token_kind_above_200k()
    {
        var sonnet = PriceTable.Default.Find("claude-sonnet-4-5-20250929").ShouldNotBeNull();
        // 250k input: 200k at $3 + 50k at $6; 10 output at $15.
        TranscriptPrices.Cost(sonnet, new TokenCounts(250_000, 10, 0, 0, 0), fast: false).ShouldBe(0.6m + 0.3m + 0.00015m);
        var opus = PriceTable.Default.Find("claude-opus-4-6").ShouldNotBeNull();
        TranscriptPrices.Cost(opus, new TokenCounts(0, 0, 1000, 1000, 1000), fast: false).ShouldBe((1000 * 6.25m + 1000 * 10m + 1000 * 0.5m) / 1_000_000m);
    }

    [Fact]
    public void A_price_file_can_add_claude_cache_and_tier_prices()
    {
        using var dir = new TempDir();
        var path = dir.Write("p.json", """{"models": {"my-claude": {"input": 2, "cached_input": 0.2, "output": 10, "cache_write": 2.5, "cache_write_1h": 4, "input_above_200k": 4}}}""");
        var price = PriceTable.Load(path).Find("my-claude").ShouldNotBeNull();
        price.CacheWritePerMTok.ShouldBe(2.5m);
        price.CacheWrite1hPerMTok.ShouldBe(4m);
        price.InputAbove200kPerMTok.ShouldBe(4m);
        PriceTable.Default.Find("my-claude").ShouldBeNull();
    }
}
