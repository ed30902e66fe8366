using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Pricing;
using Fleet.Telemetry;
using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Streams;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// Codex rollouts that copy history, built line for line in the shapes Codex 0.169 writes (<c>session_meta</c>,
/// <c>task_started{turn_id, started_at}</c>, <c>turn_context{turn_id, model, cwd}</c>, <c>token_count{info{total_token_usage,
/// last_token_usage}}</c>; a sub-agent's <c>source.subagent.thread_spawn</c>, its copy of the parent's history with the
/// times rewritten to the moment of the copy). Every total is what the transcripts mean: the parent's usage once, and
/// each child's own work only. Each case is ingested both through the line scans and through the full parse.
/// </summary>
public sealed class CodexCopyShapeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The parent's cumulative totals after its two responses (the second snapshot repeats the first).</summary>
    private static readonly Usage ParentFirst = new(1000, 800, 20, 5);
    private static readonly Usage ParentTotal = new(2500, 1600, 50, 10);

    /// <summary>One child's own response.</summary>
    private static readonly Usage ChildOwn = new(400, 300, 10, 2);

    private sealed record Usage(long Input, long Cached, long Output, long Reasoning)
    {
        public Usage Plus(Usage o) => new(Input + o.Input, Cached + o.Cached, Output + o.Output, Reasoning + o.Reasoning);

        public JsonObject Json() => new()
        {
            ["input_tokens"] = Input, ["cached_input_tokens"] = Cached, ["cache_write_input_tokens"] = 0,
            ["output_tokens"] = Output, ["reasoning_output_tokens"] = Reasoning, ["total_tokens"] = Input + Output,
        };
    }

    /// <summary>A UUIDv7 whose time is <paramref name="at"/> (Codex's thread and turn ids).</summary>
    private static string V7(DateTimeOffset at, int salt = 0)
    {
        var hex = at.ToUnixTimeMilliseconds().ToString("x12", CultureInfo.InvariantCulture);
        return $"{hex[..8]}-{hex[8..]}-7{salt:x3}-8000-{salt:x12}";
    }

    private static string Line(DateTimeOffset at, string type, JsonObject payload) => new JsonObject
    {
        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["type"] = type,
        ["payload"] = payload,
    }.ToJsonString();

    private static string Meta(DateTimeOffset at, string id, string? parent = null, bool fork = false) => Line(at, "session_meta", new JsonObject
    {
        ["id"] = id,
        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["cwd"] = "/work/app",
        ["originator"] = "codex_exec",
        ["cli_version"] = "0.169.0",
        ["source"] = parent is null || fork ? "exec" : new JsonObject { ["subagent"] = new JsonObject { ["thread_spawn"] = new JsonObject { ["parent_thread_id"] = parent, ["depth"] = 1, ["agent_nickname"] = "scout" } } },
        ["forked_from_id"] = fork ? parent : null,
    });

    private static string TaskStarted(DateTimeOffset at, string turn, DateTimeOffset started) =>
        Line(at, "event_msg", new JsonObject { ["type"] = "task_started", ["turn_id"] = turn, ["started_at"] = started.ToUnixTimeSeconds() });

    private static string TurnContext(DateTimeOffset at, string turn, string model) =>
        Line(at, "turn_context", new JsonObject { ["turn_id"] = turn, ["cwd"] = "/work/app", ["model"] = model });

    private static string TokenCount(DateTimeOffset at, Usage total, Usage? last, string? infoModel = null)
    {
        var info = new JsonObject { ["total_token_usage"] = total.Json(), ["model_context_window"] = 258400 };
        if (last is not null)
            info["last_token_usage"] = last.Json();
        if (infoModel is not null)
            info["model"] = infoModel;
        return Line(at, "event_msg", new JsonObject { ["type"] = "token_count", ["info"] = info });
    }

    /// <summary>The parent: one turn of two responses, the first snapshot repeated.</summary>
    private static (string Id, List<string> Lines) Parent()
    {
        var id = V7(T0);
        var turn = V7(T0.AddMilliseconds(10), 1);
        return (id, [
            Meta(T0, id),
            TaskStarted(T0.AddMilliseconds(20), turn, T0),
            TurnContext(T0.AddMilliseconds(30), turn, "gpt-5.1-codex"),
            TokenCount(T0.AddSeconds(5), ParentFirst, ParentFirst),
            TokenCount(T0.AddSeconds(6), ParentFirst, ParentFirst),
            TokenCount(T0.AddSeconds(9), ParentTotal, new Usage(1500, 800, 30, 5)),
        ]);
    }

    /// <summary>
    /// A sub-agent created <paramref name="after"/> the parent: its meta, the parent's meta and history copied with the
    /// times rewritten to its creation, then its own turn (its cumulative totals go on from the parent's).
    /// </summary>
    private static (string Id, List<string> Lines) Child(string parentId, TimeSpan after, int salt, bool fork = false, bool lastOnOwn = true, bool markers = true)
    {
        var t1 = T0 + after;
        var id = V7(t1, salt);
        var parentTurn = markers ? V7(T0.AddMilliseconds(10), 1) : "turn-parent";
        var ownTurn = markers ? V7(t1.AddSeconds(2), salt + 100) : "turn-own";
        var lines = new List<string> { Meta(t1, id, parentId, fork), Meta(t1.AddMilliseconds(1), parentId) };
        if (markers)
            lines.Add(TaskStarted(t1.AddMilliseconds(2), parentTurn, T0));
        lines.Add(TurnContext(t1.AddMilliseconds(2), parentTurn, "gpt-5.1-codex"));
        lines.Add(TokenCount(t1.AddMilliseconds(3), ParentFirst, ParentFirst));
        lines.Add(TokenCount(t1.AddMilliseconds(4), ParentFirst, ParentFirst));
        lines.Add(TokenCount(t1.AddMilliseconds(5), ParentTotal, new Usage(1500, 800, 30, 5)));
        if (markers)
            lines.Add(TaskStarted(t1.AddSeconds(2), ownTurn, t1.AddSeconds(2)));
        lines.Add(TurnContext(t1.AddSeconds(2), ownTurn, "gpt-5.4-mini"));
        lines.Add(TokenCount(t1.AddSeconds(5), ParentTotal.Plus(ChildOwn), lastOnOwn ? ChildOwn : null));
        return (id, lines);
    }

    private static string Write(TempDir dir, string relative, IEnumerable<string> lines)
    {
        var path = dir.Combine(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    private static string Rollout(TempDir dir, string id, IEnumerable<string> lines) =>
        Write(dir, $"codex/sessions/2026/11/21/rollout-2026-11-21T10-00-00-{id}.jsonl", lines);

    private static async Task<UsageReportJson> UsageAsync(TempDir dir, UsageGrouping by, bool scans, params string[] paths)
    {
        var db = dir.Combine($"t-{Guid.NewGuid():n}.db");
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, new IngestOptions { Scans = scans }, Ct).SlowTimeout();
        return await UsageReport.BuildAsync(store, by, null, null, PriceTable.Default, Ct).DefaultTimeout();
    }

    private static void ShouldBill(UsageRow row, Usage usage)
    {
        row.InputTokens.ShouldBe(usage.Input - usage.Cached);
        row.CacheReadTokens.ShouldBe(usage.Cached);
        row.OutputTokens.ShouldBe(usage.Output);
        row.ReasoningOutputTokens.ShouldBe(usage.Reasoning);
    }

    private static void ShouldBill(UsageTotals totals, Usage usage)
    {
        totals.InputTokens.ShouldBe(usage.Input - usage.Cached);
        totals.CacheReadTokens.ShouldBe(usage.Cached);
        totals.OutputTokens.ShouldBe(usage.Output);
        totals.ReasoningOutputTokens.ShouldBe(usage.Reasoning);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_sub_agent_that_replays_its_parents_history_bills_only_its_own_work(bool scans)
    {
        using var dir = new TempDir();
        var (parentId, parentLines) = Parent();
        var (childId, childLines) = Child(parentId, TimeSpan.FromMinutes(1), 2);
        var parent = Rollout(dir, parentId, parentLines);
        var child = Rollout(dir, childId, childLines);

        var bySession = await UsageAsync(dir, UsageGrouping.Session, scans, parent, child);

        ShouldBill(bySession.Rows.Single(r => r.Key == parentId), ParentTotal);
        var own = bySession.Rows.Single(r => r.Key == childId);
        ShouldBill(own, ChildOwn);
        own.Models.Single().Model.ShouldBe("gpt-5.4-mini");
        ShouldBill(bySession.Totals, ParentTotal.Plus(ChildOwn));
        bySession.Rows.Count.ShouldBe(2); // the copied parent session_meta names no session of its own

        var alone = await UsageAsync(dir, UsageGrouping.Session, scans, child);
        ShouldBill(alone.Totals, ChildOwn);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_sub_agents_starting_total_is_its_baseline_not_its_usage(bool scans)
    {
        using var dir = new TempDir();
        var (parentId, _) = Parent();

        // Its own first snapshot gives only the cumulative total (parent's history included): billed from the copy's last total.
        var (withoutLast, lines) = Child(parentId, TimeSpan.FromMinutes(1), 2, lastOnOwn: false);
        ShouldBill((await UsageAsync(dir, UsageGrouping.Session, scans, Rollout(dir, withoutLast, lines))).Totals, ChildOwn);

        // A fork (forked_from_id) of an older Codex: no turn starts with their times, the copy told from its own work by the pause after it.
        var (legacy, legacyLines) = Child(parentId, TimeSpan.FromMinutes(2), 3, fork: true, markers: false);
        ShouldBill((await UsageAsync(dir, UsageGrouping.Session, scans, Rollout(dir, legacy, legacyLines))).Totals, ChildOwn);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_parent_with_several_sub_agents_is_billed_once_and_each_sub_agent_its_own_work(bool scans)
    {
        using var dir = new TempDir();
        var (parentId, parentLines) = Parent();
        var paths = new List<string> { Rollout(dir, parentId, parentLines) };
        for (var k = 1; k <= 3; k++)
        {
            var (id, lines) = Child(parentId, TimeSpan.FromMinutes(k), k + 1);
            paths.Add(Rollout(dir, id, lines));
        }

        var usage = await UsageAsync(dir, UsageGrouping.Session, scans, [.. paths]);

        ShouldBill(usage.Totals, ParentTotal.Plus(ChildOwn).Plus(ChildOwn).Plus(ChildOwn));
        usage.Rows.Count.ShouldBe(4);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_active_rollout_and_its_archived_copy_are_one_rollout(bool scans)
    {
        using var dir = new TempDir();
        var (id, lines) = Parent();
        var active = Rollout(dir, id, lines);

        // The archived copy as Codex leaves it (the same lines), and one whose lines carry other times (copied by a
        // tool that rewrote them): the same session reaching the same totals is the same usage.
        var archived = Write(dir, $"codex/archived_sessions/rollout-2026-11-21T10-00-00-{id}.jsonl", lines);
        var restamped = Write(dir, $"elsewhere/rollout-{id}.jsonl", lines.Select(l => l.Replace("2026-11-21T10:00:0", "2026-11-21T11:00:0", StringComparison.Ordinal)));

        var usage = await UsageAsync(dir, UsageGrouping.Session, scans, active, archived, restamped);

        usage.Rows.Single().Key.ShouldBe(id);
        ShouldBill(usage.Totals, ParentTotal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_token_count_line_is_priced_with_the_model_it_names(bool scans)
    {
        using var dir = new TempDir();
        var id = V7(T0);
        var turn = V7(T0.AddMilliseconds(10), 1);
        var path = Rollout(dir, id, [
            Meta(T0, id),
            // No turn_context yet: the line's own model, not the gpt-5 default.
            TokenCount(T0.AddSeconds(1), ParentFirst, ParentFirst, infoModel: "gpt-5.4"),
            TurnContext(T0.AddSeconds(2), turn, "gpt-5.1-codex"),
            // A line naming another model than its turn's is priced with the one it names.
            TokenCount(T0.AddSeconds(3), ParentTotal, new Usage(1500, 800, 30, 5), infoModel: "gpt-5.5"),
            TokenCount(T0.AddSeconds(4), ParentTotal.Plus(ChildOwn), ChildOwn),
        ]);

        var byModel = await UsageAsync(dir, UsageGrouping.Model, scans, path);

        byModel.Rows.Select(r => r.Key).Order(StringComparer.Ordinal).ShouldBe(["gpt-5.1-codex", "gpt-5.4", "gpt-5.5"]);
        ShouldBill(byModel.Rows.Single(r => r.Key == "gpt-5.4"), ParentFirst);
        ShouldBill(byModel.Rows.Single(r => r.Key == "gpt-5.1-codex"), ChildOwn);
        var price = PriceTable.Default.Find("gpt-5.4")!;
        byModel.Rows.Single(r => r.Key == "gpt-5.4").CostUsd.ShouldBe(price.Cost(ParentFirst.Input - ParentFirst.Cached, ParentFirst.Cached, ParentFirst.Output));
    }

    [Fact]
    public async Task A_codex_session_and_a_fleet_worker_log_belong_to_their_working_folder_and_fleet_root_never_a_folder_name()
    {
        using var dir = new TempDir();
        var (id, lines) = Parent();
        var rollout = Rollout(dir, id, lines);
        var root = dir.Combine("my-fleet");
        var log = dir.Combine("my-fleet/iterations/3/builder.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.Copy(Captures.Codex("CX_A"), log);

        var byProject = await UsageAsync(dir, UsageGrouping.Project, true, rollout, log);

        byProject.Rows.Select(r => r.Key).ShouldBe(["/work/app", root], ignoreOrder: true);
        TranscriptDiscovery.ProjectOf(dir.Combine("my-fleet/.fleet/runs/r-1/iterations/2/builder.log")).ShouldBe(root);
        TranscriptDiscovery.ProjectOf("/home/u/.codex/sessions/2026/11/23/rollout-x.jsonl").ShouldBeNull();
        TranscriptDiscovery.ProjectOf("/home/u/.claude/projects/-home-u-app/s.jsonl").ShouldBe("-home-u-app");
    }

    [Theory]
    [InlineData(null, null, null, "Own")] // a child that does not say when it began
    [InlineData(1_000_500L, 1000L, null, "Own")] // started_at has whole seconds: the creation's own second is the child's
    [InlineData(1_000_500L, 999L, null, "Copied")]
    [InlineData(1_000_000L, null, "turn-1", "Unknown")]
    public void A_turn_start_is_the_childs_own_when_it_started_at_or_after_the_child_was_created(long? created, long? startedSeconds, string? turnId, string expected) =>
        CodexReplay.TurnStart(created, startedSeconds, turnId).ToString().ShouldBe(expected);

    [Fact]
    public void A_uuid_v7_turn_id_tells_when_its_turn_started()
    {
        var created = T0.ToUnixTimeMilliseconds();
        CodexReplay.TurnStart(created, null, V7(T0.AddMilliseconds(-1))).ShouldBe(CodexReplay.Turn.Copied);
        CodexReplay.TurnStart(created, null, V7(T0)).ShouldBe(CodexReplay.Turn.Own);
        CodexReplay.TimeOf(V7(T0)).ShouldBe(T0);
        CodexReplay.TimeOf("01a1fff9-73c8-49d2-99dc-92c82320b005").ShouldBeNull(); // version 4
    }

    [Theory]
    [InlineData(1000L, null, 1500L, false, true)] // within the burst after creation
    [InlineData(1000L, 1500L, 2600L, false, false)] // more than a second after the copy's last event
    [InlineData(1000L, null, 500L, false, true)] // the parent's own earlier time, kept
    [InlineData(1000L, 1500L, 90_000L, true, true)] // turn starts with times end the copy, not a pause
    public void A_usage_event_belongs_to_the_copy_while_the_burst_lasts(long created, long? lastCopied, long at, bool sawMarker, bool expected) =>
        CodexReplay.IsCopied(created, lastCopied, at, sawMarker).ShouldBe(expected);
}
