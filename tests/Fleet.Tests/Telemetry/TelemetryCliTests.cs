using System.Text.Json;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

public sealed class TelemetryCliTests
{
    [Fact]
    public async Task Fleet_usage_json_reports_claude_and_codex_per_day_and_only_json_on_stdout()
    {
        using var dir = new TempDir();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "usage", "--by", "day", "--json", "--db", "t.db", "--path", Path.Combine(Corpus.Dir, "claude"), "--path", Path.Combine(Corpus.Dir, "codex"));
        using var _ = console;

        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        var root = doc.RootElement;
        root.GetProperty("by").GetString().ShouldBe("day");
        root.GetProperty("rows").GetArrayLength().ShouldBe(10);
        var providers = root.GetProperty("by_model").EnumerateArray().Select(m => m.GetProperty("provider").GetString()).Distinct().Order().ToList();
        providers.ShouldBe(["claude", "codex"]);
        // The numbers ccusage 20.0.24 --offline gives on the same files (scripts/compare-ccusage.sh).
        root.GetProperty("totals").GetProperty("input_tokens").GetInt64().ShouldBe(3_158_219);
        root.GetProperty("totals").GetProperty("cache_read_tokens").GetInt64().ShouldBe(87_332_796);
        root.GetProperty("totals").GetProperty("cost_usd").GetDecimal().ShouldBe(52.6165689m, 0.0001m);
    }

    [Fact]
    public async Task Usage_since_a_day_leaves_earlier_days_out()
    {
        using var dir = new TempDir();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "usage", "--json", "--since", "20260223", "--db", "t.db", "--path", Path.Combine(Corpus.Dir, "codex"), "--path", Path.Combine(Corpus.Dir, "claude"));
        using var _ = console;

        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        doc.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString()).ShouldBe(["2026-02-23", "2026-02-24"]);
    }

    [Theory]
    [InlineData("usage", "--by", "week")]
    [InlineData("usage", "--since", "yesterday")]
    [InlineData("telemetry", "ingest", "--privacy", "everything")]
    [InlineData("telemetry", "ingest", "no-such-folder")]
    public async Task Bad_usage_is_exit_code_2(params string[] args)
    {
        using var dir = new TempDir();
        var (code, console) = await TestConsole.RunAsync(dir.Path, [.. args, "--db", "t.db"]);
        using var _ = console;
        code.ShouldBe(2, console.Stderr);
    }

    [Fact]
    public async Task Telemetry_ingest_tags_records_and_says_what_it_read()
    {
        using var dir = new TempDir();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "telemetry", "ingest", Path.Combine(Corpus.Dir, "claude"), "--db", "t.db", "--run", "r1", "--fleet", "f", "--worker", "w", "--iteration", "3", "--json");
        using var _ = console;

        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        doc.RootElement.GetProperty("files").GetInt32().ShouldBe(14);
        doc.RootElement.GetProperty("malformed").GetInt64().ShouldBe(0);

        var (code2, byWorker) = await TestConsole.RunAsync(dir.Path, "usage", "--no-ingest", "--by", "worker", "--json", "--db", "t.db");
        using var __ = byWorker;
        code2.ShouldBe(0, byWorker.Stderr);
        using var report = JsonDocument.Parse(byWorker.Stdout);
        report.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString()).ShouldBe(["f/w"]);
    }

    [Fact]
    public async Task Telemetry_schema_publishes_every_record_kind()
    {
        using var dir = new TempDir();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "telemetry", "schema");
        using var _ = console;

        code.ShouldBe(0);
        using var doc = JsonDocument.Parse(console.Stdout);
        var text = console.Stdout;
        foreach (var kind in new[] { "session", "model_call", "tool_call", "human_prompt", "question", "answer", "approval", "rejection", "permission_denied", "interrupt", "compaction", "api_error" })
            text.ShouldContain($"\"{kind}\"");
        doc.RootElement.GetProperty("x-fleet-telemetry-version").GetInt32().ShouldBe(1);
    }
}
