using System.Text.Json;

namespace Fleet.Tests.Telemetry;

/// <summary>Each human-intervention and cost signal, on the real transcripts of the shared corpus (MANIFEST.md says where each one is).</summary>
public sealed class CorpusSignalTests(CorpusStore store) : IClassFixture<CorpusStore>
{
    private const string AskPlan = "spotter__subagent__askuserquestion-planmode";
    private const string Short = "spotter__short__reject-interrupt";
    private const string PlanReject = "claude-code-config__chat__v2.0.35-plan-reject-interrupt";
    private const string Synthetic = "claude-backup__chat__v1.0.119-summary-synthetic";
    private const string MainCompaction = "spotter__258c7280__main-compaction";
    private const string ManualCompact = "spotter__ae4a77f8__main-skill-model-switch-manual-compact";

    private long Count(string kind, string file, string extra = "") =>
        store.Scalar($"SELECT COUNT(*) FROM events WHERE kind = '{kind}' AND {CorpusStore.From(file)} {extra}");

    [Fact]
    public void Every_corpus_file_is_read_without_a_malformed_line_or_a_skip()
    {
        _ = Corpus.Dir;
        var report = store.Report.ShouldNotBeNull();
        report.Files.Count.ShouldBe(21); // a folder scan reads JSONL and .chat.json; single pretty-printed .json events only when named
        report.Files.ShouldAllBe(f => f.Skipped == null && f.Malformed == 0 && !f.TruncatedTail);
        report.Files.Count(f => f.Format == "claude-transcript").ShouldBe(14);
        report.Files.Count(f => f.Format == "codex-rollout").ShouldBe(6);
        report.Files.Count(f => f.Format == "claude-stream-json").ShouldBe(1);
    }

    [Fact]
    public void AskUserQuestion_is_a_question_with_its_count_and_the_answer_follows()
    {
        Count("question", AskPlan, "AND name = 'AskUserQuestion' AND count = 2").ShouldBe(1);
        Count("answer", AskPlan, "AND count = 2").ShouldBe(1);
        Count("question", "infinity-claude__chat__v2.0.27", "AND count = 3").ShouldBe(1);
        Count("answer", "infinity-claude__chat__v2.0.27", "AND count = 3").ShouldBe(1);
    }

    [Fact]
    public void At_the_default_privacy_level_no_question_or_answer_text_is_kept()
    {
        store.Scalar($"SELECT COUNT(*) FROM events WHERE kind IN ('question', 'answer', 'human_prompt', 'tool_call', 'rejection') AND text IS NOT NULL").ShouldBe(0);
        store.Scalar($"SELECT COUNT(*) FROM events WHERE kind = 'human_prompt' AND count > 0").ShouldBeGreaterThan(50);
    }

    [Fact]
    public void A_tool_rejection_marks_the_call_rejected_and_is_followed_by_an_interrupt_for_tool_use()
    {
        Count("rejection", Short, "AND subject = 'tool'").ShouldBe(2);
        Count("tool_call", Short, "AND outcome = 'rejected'").ShouldBe(2);
        Count("interrupt", Short, "AND name = 'user_for_tool_use'").ShouldBe(1);
        Count("rejection", Synthetic, "AND subject = 'tool' AND name = 'Bash'").ShouldBe(6);
    }

    [Fact]
    public void Plan_approval_and_plan_rejection_are_told_apart_from_tool_gates()
    {
        Count("approval", AskPlan, "AND subject = 'plan' AND name = 'ExitPlanMode'").ShouldBe(1);
        Count("rejection", PlanReject, "AND subject = 'plan' AND name = 'ExitPlanMode'").ShouldBe(1);
        Count("approval", PlanReject, "AND subject = 'plan'").ShouldBe(1);
        Count("tool_call", PlanReject, "AND name = 'ExitPlanMode' AND outcome = 'rejected'").ShouldBe(1);
    }

    [Fact]
    public void Interrupts_are_recorded_with_their_kind()
    {
        Count("interrupt", "spotter__tool_heavy__interrupts-web", "AND name = 'user'").ShouldBe(2);
        Count("interrupt", PlanReject).ShouldBe(2);
        Count("interrupt", AskPlan, "AND name = 'user'").ShouldBe(1);
    }

    [Fact]
    public void Subagent_and_compaction_spend_is_counted_once_as_sidechain_spend()
    {
        // The subagent file's calls, deduplicated by hand: the largest usage per message id.
        var byMessage = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Corpus.Claude("spotter__258c7280__subagent-a881341.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("message", out var m) || m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("usage", out var u))
                continue;
            var total = new[] { "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens" }
                .Sum(k => u.TryGetProperty(k, out var v) ? v.GetInt64() : 0);
            var id = m.GetProperty("id").GetString()!;
            byMessage[id] = Math.Max(byMessage.GetValueOrDefault(id), total);
        }

        // The main file's agent_progress lines replay the same calls: counted once, whichever line is kept.
        var stored = store.Query("SELECT COUNT(*) || '|' || SUM(input + output + cache_write_5m + cache_write_1h + cache_read) || '|' || MIN(sidechain) FROM model_calls WHERE agent_id = 'a881341'").Single();
        stored.ShouldBe($"{byMessage.Count}|{byMessage.Values.Sum()}|1");
        store.Scalar($"SELECT SUM(cache_read + cache_write_5m + cache_write_1h) FROM model_calls WHERE {CorpusStore.From("subagent-acompact-fffbd0")}").ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Claude_lines_of_one_response_count_once_keeping_the_largest_usage()
    {
        var path = Corpus.Claude("spotter__8463c716__subagent-a7be2f0-haiku.jsonl");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long lines = 0;
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("usage", out _))
            {
                lines++;
                ids.Add(m.GetProperty("id").GetString()!);
            }
        }

        lines.ShouldBeGreaterThan(ids.Count); // the file does split responses over several lines
        store.Scalar($"SELECT COUNT(*) FROM model_calls WHERE {CorpusStore.From("subagent-a7be2f0-haiku")}").ShouldBe(ids.Count);
    }

    [Fact]
    public void Compaction_is_recorded_auto_and_manual_with_the_tokens_before()
    {
        Count("compaction", MainCompaction, "AND name = 'auto' AND number > 100000").ShouldBe(1);
        Count("compaction", ManualCompact, "AND name = 'manual'").ShouldBe(1);
        Count("human_prompt", ManualCompact, "AND name = '/compact'").ShouldBe(1);
        Count("compaction", "rollout-2026-02-23T12-54-34").ShouldBe(1);
    }

    [Fact]
    public void Synthetic_lines_are_never_billed_nor_counted_as_a_model()
    {
        File.ReadAllText(Corpus.Claude(Synthetic + ".chat.json")).ShouldContain("\"model\": \"<synthetic>\"");
        store.Scalar("SELECT COUNT(*) FROM model_calls WHERE model = '<synthetic>'").ShouldBe(0);
        store.Scalar($"SELECT COUNT(*) FROM model_calls WHERE {CorpusStore.From(Synthetic)}").ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Duplicate_codex_snapshots_never_double_count_the_file_totals_equal_the_last_cumulative_total()
    {
        foreach (var path in Directory.GetFiles(Path.Combine(Corpus.Dir, "codex"), "*.jsonl"))
        {
            long input = 0, cached = 0, output = 0, snapshots = 0, distinct = 0;
            string? previous = null;
            foreach (var line in File.ReadLines(path))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.GetProperty("type").GetString() != "event_msg" || !root.GetProperty("payload").TryGetProperty("info", out var info) || info.ValueKind != JsonValueKind.Object)
                    continue;
                var total = info.GetProperty("total_token_usage");
                snapshots++;
                if (total.GetRawText() != previous)
                    distinct++;
                previous = total.GetRawText();
                input = total.GetProperty("input_tokens").GetInt64();
                cached = total.GetProperty("cached_input_tokens").GetInt64();
                output = total.GetProperty("output_tokens").GetInt64();
            }

            var name = Path.GetFileName(path);
            var row = store.Query($"SELECT SUM(input) || '|' || SUM(cache_read) || '|' || SUM(output) FROM model_calls WHERE {CorpusStore.From(name)}").Single();
            row.ShouldBe(snapshots == 0 ? null : $"{input - cached}|{cached}|{output}", name);
            if (name.Contains("12-54-34", StringComparison.Ordinal))
                distinct.ShouldBeLessThan(snapshots); // this file does repeat snapshots
        }
    }

    [Fact]
    public void Codex_usage_is_priced_with_the_model_of_the_nearest_turn_context()
    {
        store.Query("SELECT DISTINCT model FROM model_calls WHERE provider = 'codex'").ShouldBe(["gpt-5.3-codex"]);
        store.Scalar("SELECT COUNT(*) FROM model_calls WHERE provider = 'codex' AND model_assumed = 1").ShouldBe(0);
    }

    [Fact]
    public void A_claude_stream_result_is_one_model_call_per_model_with_claude_s_own_cost()
    {
        var cost = store.Query($"SELECT model || '|' || reported_cost FROM model_calls WHERE {CorpusStore.From("basic_query")}");
        cost.ShouldBe(["claude-opus-4-5-20251101|0.1354875"]);
    }

    [Fact]
    public void A_session_record_is_written_per_session_with_its_source_line()
    {
        store.Scalar($"SELECT line FROM events WHERE kind = 'session' AND {CorpusStore.From(Short)}").ShouldBeGreaterThan(0);
        store.Scalar("SELECT COUNT(*) FROM events WHERE kind = 'session' AND provider = 'codex'").ShouldBe(6);
    }
}
