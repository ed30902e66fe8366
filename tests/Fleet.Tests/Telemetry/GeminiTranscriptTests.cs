using System.Runtime.CompilerServices;
using Fleet.Pricing;
using Fleet.Streams;
using Fleet.Telemetry;
using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// Gemini CLI 0.61.0's own session file and a worker's stream-json log, both written by the real CLI in rehearsal
/// (<c>Golden/gemini/</c>: a yolo run of shell, write, edit, read and text against the scripted endpoint, then the same
/// session resumed once; <c>worker.log</c> is the first run's stdout).
/// </summary>
public sealed class GeminiTranscriptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Data(string name, [CallerFilePath] string caller = "") => Golden.PathFor(Path.Combine("gemini", name), caller);

    private static string SessionFile => Directory.GetFiles(Path.GetDirectoryName(Data("worker.log"))!, "session-*.jsonl").Single();

    [Fact]
    public async Task The_session_file_and_the_worker_log_are_told_apart_by_their_first_lines()
    {
        (await TranscriptFile.SniffLinesAsync(SessionFile, Ct).DefaultTimeout()).ShouldBe(TranscriptFormat.GeminiSession);
        (await TranscriptFile.SniffLinesAsync(Data("worker.log"), Ct).DefaultTimeout()).ShouldBe(TranscriptFormat.GeminiStream);
    }

    [Fact]
    public async Task The_session_file_gives_one_session_its_prompt_each_model_call_once_and_each_tool_call_once()
    {
        using var dir = new TempDir("fleet-gemini-telemetry-");
        var report = await UsageAsync(dir, UsageGrouping.Session, SessionFile);

        var row = report.Rows.ShouldHaveSingleItem();
        row.Key.ShouldBe("5e1f0c8e-1111-4222-8333-444455556666");
        row.Models.ShouldHaveSingleItem().Model.ShouldBe("gemini-2.5-pro");
        // Two runs of five model answers (four tools, the text), each model message counted once though the file
        // writes it again when its tool call completes; thoughts (10 a run) billed as output.
        row.Models.ShouldHaveSingleItem().Calls.ShouldBe(10);
        row.InputTokens.ShouldBe(2 * (1000 + (3 * 1000) + 2000));
        row.CacheReadTokens.ShouldBe(2 * 4000);
        row.OutputTokens.ShouldBe(2 * (50 + (3 * 100) + 30));
        report.UnpricedModels.ShouldBeEmpty();
        row.CostUsd.ShouldBe(2 * ((6000 * 1.25m) + (4000 * 0.125m) + (380 * 10.00m)) / 1_000_000m);
    }

    [Fact]
    public async Task The_session_file_gives_the_prompts_a_person_typed_and_every_tool_call_with_its_outcome()
    {
        var records = await RecordsAsync(SessionFile);

        records.OfType<SessionRecord>().ShouldHaveSingleItem().SessionId.ShouldBe("5e1f0c8e-1111-4222-8333-444455556666");
        records.OfType<HumanPromptRecord>().Select(p => p.Text).ShouldBe(["Make the files.", "Go on."]);
        var tools = records.OfType<ToolCallRecord>().ToList();
        tools.Select(t => t.Name).ShouldBe(["run_shell_command", "write_file", "replace", "read_file", "run_shell_command", "write_file", "replace", "read_file"]);
        tools.ShouldAllBe(t => t.Outcome == ToolOutcome.Ok && t.Provider == AgentProvider.Gemini);
    }

    [Fact]
    public async Task The_worker_log_gives_its_session_and_its_tool_calls()
    {
        var records = await RecordsAsync(Data("worker.log"));

        records.OfType<SessionRecord>().ShouldHaveSingleItem().SessionId.ShouldBe("5e1f0c8e-1111-4222-8333-444455556666");
        records.OfType<ToolCallRecord>().Select(t => t.Name).ShouldBe(["run_shell_command", "write_file", "replace", "read_file"]);
        records.OfType<ModelCallRecord>().ShouldHaveSingleItem().Model.ShouldBe("gemini-2.5-pro");
    }

    private static async Task<List<TelemetryRecord>> RecordsAsync(string path)
    {
        var format = await TranscriptFile.SniffLinesAsync(path, Ct).DefaultTimeout();
        var sink = new RecordSink();
        var records = new List<TelemetryRecord>();
        var reader = TranscriptReader.Create(format, new ReaderContext { File = path, Sink = sink, Privacy = new PrivacyPolicy(PrivacyLevel.Full) });
        ValueTask Flush(RecordBatch batch)
        {
            records.AddRange(batch.Records);
            return ValueTask.CompletedTask;
        }

        _ = await TranscriptFile.FeedLinesAsync(path, 0, 0, reader, sink, Flush, Ct).DefaultTimeout();
        await Flush(sink.Flush());
        return records;
    }

    [Fact]
    public async Task Usage_from_the_worker_log_costs_what_the_stream_reader_put_in_the_exit_record()
    {
        using var dir = new TempDir("fleet-gemini-telemetry-");
        var reader = new GeminiStreamReader();
        foreach (var line in File.ReadAllLines(Data("worker.log")))
        {
            reader.Accept(System.Text.Encoding.UTF8.GetBytes(line));
        }

        var report = await UsageAsync(dir, UsageGrouping.Model, Data("worker.log"));

        reader.Summary.CostUsd.ShouldNotBeNull();
        report.Totals.CostUsd.ShouldBe(reader.Summary.CostUsd.Value);
        report.Totals.InputTokens.ShouldBe(reader.Summary.InputTokens!.Value);
        report.Totals.OutputTokens.ShouldBe(reader.Summary.OutputTokens!.Value);
    }

    // acp/: the real gemini --acp in a fleet run (worker.log, its stdout) and the session file it wrote: a first prompt
    // (an allowed shell command, a denied destructive one, text), then the denial's message as a second prompt.
    private static string AcpLog => Data(Path.Combine("acp", "worker.log"));

    private static string AcpSessionFile => Directory.GetFiles(Path.GetDirectoryName(AcpLog)!, "session-*.jsonl").Single();

    [Fact]
    public async Task An_acp_worker_log_is_told_apart_and_its_per_prompt_totals_price_the_cached_part_in_full_and_leave_the_thoughts_out()
    {
        (await TranscriptFile.SniffLinesAsync(AcpLog, Ct).DefaultTimeout()).ShouldBe(TranscriptFormat.GeminiStream);
        var reader = new GeminiStreamReader();
        foreach (var line in File.ReadAllLines(AcpLog))
        {
            reader.Accept(System.Text.Encoding.UTF8.GetBytes(line));
        }

        var summary = reader.Summary;
        summary.IsError.ShouldBeFalse(summary.ErrorText);
        summary.SessionId.ShouldBe("2e4da6d3-0b5a-4379-9e40-d854264e8a8a");
        summary.ResultKind.ShouldBe("end_turn");
        summary.InputTokens.ShouldBe(9000, "the 4000 cached tokens inside the prompt are not told apart");
        summary.OutputTokens.ShouldBe(270, "candidates only: the 10 thought tokens are missing");
        summary.CostUsd.ShouldBe(((9000 * 1.25m) + (270 * 10.00m)) / 1_000_000m);
    }

    [Fact]
    public void The_session_file_gives_a_runs_exact_tokens_and_only_the_messages_written_since_it_started()
    {
        var lines = File.ReadAllLines(AcpSessionFile);

        var all = GeminiSessionFile.UsageSince(lines, DateTimeOffset.MinValue).ShouldHaveSingleItem();
        all.Key.ShouldBe("gemini-2.5-pro");
        all.Value.ShouldBe(new GeminiUsage(9000, 4000, 280));
        GeminiStreamReader.Cost(new Dictionary<string, GeminiUsage> { [all.Key] = all.Value }, PriceTable.Default, [])
            .ShouldBe(((5000 * 1.25m) + (4000 * 0.125m) + (280 * 10.00m)) / 1_000_000m);

        // The second prompt (the denial's message) alone, as a later run of the same session is counted.
        GeminiSessionFile.UsageSince(lines, DateTimeOffset.Parse("2026-12-07T23:25:16.800Z", System.Globalization.CultureInfo.InvariantCulture))
            .ShouldHaveSingleItem().Value.ShouldBe(new GeminiUsage(2000, 0, 30));
    }

    [Fact]
    public async Task Usage_from_an_acp_worker_log_and_its_session_file_counts_each_call_once_from_the_session_file()
    {
        using var dir = new TempDir("fleet-gemini-telemetry-");
        var logRecords = await RecordsAsync(AcpLog);
        logRecords.ShouldNotContain(r => r is ModelCallRecord || r is ToolCallRecord || r is SessionRecord, "the session file has them");

        var report = await UsageAsync(dir, UsageGrouping.Model, AcpLog, AcpSessionFile);

        var row = report.Rows.ShouldHaveSingleItem();
        row.Models.ShouldHaveSingleItem().Calls.ShouldBe(4);
        row.InputTokens.ShouldBe(5000);
        row.CacheReadTokens.ShouldBe(4000);
        row.OutputTokens.ShouldBe(280);
        row.CostUsd.ShouldBe(((5000 * 1.25m) + (4000 * 0.125m) + (280 * 10.00m)) / 1_000_000m);
        var tools = (await RecordsAsync(AcpSessionFile)).OfType<ToolCallRecord>().Select(t => (t.Name, t.Outcome)).ToList();
        tools.ShouldBe([("run_shell_command", ToolOutcome.Ok)]);
    }

    [Fact]
    public void A_session_file_is_found_by_its_whole_id_not_only_the_eight_characters_in_its_name()
    {
        using var dir = new TempDir("fleet-gemini-home-");
        dir.Write(".gemini/tmp/a/chats/session-2026-12-07T23-23-2e4da6d3.jsonl", """{"sessionId":"2e4da6d3-ffff-4000-8000-000000000000","projectHash":"x"}""" + "\n");
        dir.Write(".gemini/tmp/b/chats/session-2026-12-07T23-24-2e4da6d3.jsonl", """{"sessionId":"2e4da6d3-0b5a-4379-9e40-d854264e8a8a","projectHash":"y"}""" + "\n");

        GeminiSessionFile.Find(dir.Path, "2e4da6d3-0b5a-4379-9e40-d854264e8a8a").ShouldBe(dir.Combine(".gemini/tmp/b/chats/session-2026-12-07T23-24-2e4da6d3.jsonl"));
        GeminiSessionFile.Find(dir.Path, "0b9f0c8e-1111-4222-8333-444455556666").ShouldBeNull();

        // Kept apart once (a name gemini's cleanup never takes for this session's), then found under that name.
        var kept = GeminiSessionFile.KeepApart(dir.Combine(".gemini/tmp/b/chats/session-2026-12-07T23-24-2e4da6d3.jsonl"));
        kept.ShouldBe(dir.Combine(".gemini/tmp/b/chats/session-2026-12-07T23-24-2e4da6d3.fleet.jsonl"));
        GeminiSessionFile.KeepApart(kept).ShouldBe(kept);
        dir.Write(".gemini/tmp/b/chats/session-2026-12-07T23-25-2e4da6d3.jsonl", """{"sessionId":"2e4da6d3-0b5a-4379-9e40-d854264e8a8a","projectHash":"y"}""" + "\n");
        GeminiSessionFile.Find(dir.Path, "2e4da6d3-0b5a-4379-9e40-d854264e8a8a").ShouldBe(kept, "the empty file a load starts is not the session's");
        GeminiSessionFile.HomeOf(n => n == "GEMINI_CLI_HOME" ? "/g" : "/h").ShouldBe("/g");
        GeminiSessionFile.HomeOf(n => n == "HOME" ? "/h" : null).ShouldBe("/h");
    }

    [Fact]
    public void A_loaded_sessions_replayed_history_is_not_taken_for_new_tool_calls_and_an_error_answer_fails_the_run()
    {
        string[] lines =
        [
            """{"jsonrpc":"2.0","id":2,"result":{"modes":{"currentModeId":"default"},"models":{"currentModelId":"gemini-2.5-pro"}}}""",
            """{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s-1","update":{"sessionUpdate":"user_message_chunk","content":{"type":"text","text":"earlier"}}}}""",
            """{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s-1","update":{"sessionUpdate":"tool_call","toolCallId":"write_file-1765000000000-1","status":"completed","title":"old","kind":"edit"}}}""",
            """{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s-1","update":{"sessionUpdate":"tool_call","toolCallId":"read_file-1765000000001-2","status":"in_progress","title":"a.txt","kind":"read"}}}""",
            """{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s-1","update":{"sessionUpdate":"tool_call_update","toolCallId":"read_file-1765000000001-2","status":"completed","content":[],"kind":"read"}}}""",
            """{"jsonrpc":"2.0","id":3,"error":{"code":429,"message":"Rate limit exceeded. Try again later."}}""",
        ];
        var reader = new GeminiStreamReader();
        var events = lines.SelectMany(l => reader.Read(System.Text.Encoding.UTF8.GetBytes(l))).ToList();

        events.OfType<ToolCall>().ShouldHaveSingleItem().Name.ShouldBe("read_file");
        events.OfType<ToolResult>().ShouldHaveSingleItem().IsError.ShouldBeFalse();
        var summary = reader.Summary;
        summary.SessionId.ShouldBe("s-1");
        summary.IsError.ShouldBeTrue();
        summary.ErrorText.ShouldBe("Rate limit exceeded. Try again later.");
        summary.CostUsd.ShouldBeNull("no prompt ended: nothing to price");
    }

    private static async Task<UsageReportJson> UsageAsync(TempDir dir, UsageGrouping by, params string[] paths)
    {
        var db = dir.Combine($"t-{Guid.NewGuid():n}.db");
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, new IngestOptions(), Ct).SlowTimeout();
        return await UsageReport.BuildAsync(store, by, null, null, PriceTable.Default, Ct).DefaultTimeout();
    }
}
