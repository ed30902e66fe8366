using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// Readers scan common lines without a JSON document (TranscriptReader.Scan). The scan must never change what is
/// stored: every test ingests the same files with and without it and compares every row and every count.
/// </summary>
public sealed class LineScanTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Session = "11111111-2222-3333-4444-555555555555";

    [Theory]
    [InlineData(PrivacyLevel.Metadata)]
    [InlineData(PrivacyLevel.Full)]
    public async Task The_whole_corpus_stores_the_same_rows_with_and_without_scans(PrivacyLevel privacy)
    {
        using var dir = new TempDir();
        await SameRowsAsync(dir, [Corpus.Dir], privacy);
    }

    [Fact]
    public async Task Tool_results_with_gate_markers_odd_shapes_or_bad_json_store_the_same_rows()
    {
        using var dir = new TempDir();
        var file = dir.Combine("session.jsonl");
        string User(string content, string extra = "") =>
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{{Session}}}","type":"user",{{{extra}}}"message":{"role":"user","content":{{{content}}}},"timestamp":"2026-02-23T12:00:01.000Z"}""";
        string Result(string id, string text, bool error = false) =>
            $$$"""{"tool_use_id":"{{{id}}}","type":"tool_result","content":{{{text}}},"is_error":{{{(error ? "true" : "false")}}}}""";
        var calls = string.Join(',', Enumerable.Range(1, 46).Select(i => $$$"""{"type":"tool_use","id":"t{{{i}}}","name":"{{{(i == 5 ? "ExitPlanMode" : "Bash")}}}","input":{}}"""));
        File.WriteAllLines(file,
        [
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{{Session}}}","type":"assistant","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-5","role":"assistant","content":[{{{calls}}}],"usage":{"input_tokens":1,"output_tokens":2}},"timestamp":"2026-02-23T12:00:00.000Z"}""",
            User($"[{Result("t1", "\"fine\"")},{Result("t2", "\"boom\"", error: true)}]"),
            User($"[{Result("t3", "\"The user doesn't want to proceed with this tool use. the user said: no\"")}]", "\"toolUseResult\":\"User rejected tool use\","),
            User($"[{Result("t4", "\"The user doesn\\u0027t want to proceed with this tool use.\"")}]"),
            User($"[{Result("t5", "\"User has approved your plan.\"")}]"),
            User($"[{Result("t6", "[{\"type\":\"text\",\"text\":\"User has answered your questions\"}]")}]", "\"toolUseResult\":{\"answers\":{\"q\":\"a\"}},"),
            User($"[{Result("t7", "\"Claude requested permissions to write, but you haven't granted it yet.\"")}]"),
            User($"[{Result("t8", "\"ok\"")}]", "\"isCompactSummary\":true,"),
            User($"[{Result("t9", "\"ok\"")}]").Replace(Session, "99999999-2222-3333-4444-555555555555", StringComparison.Ordinal),
            User($"[{Result("t10", "\"cut off")}]"),                                  // malformed: an unterminated string
            User($"[{Result("t10", "\"ok\"")}]") + " trailing",                      // malformed: text after the object
            User($"[{{\"type\":\"tool_result\",\"tool_use_id\":{{\"nested\":\"t11\"}},\"content\":\"x\"}}]"), // no string id
            User($"[{Result("t12", "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\"}")}]", "\"type\":{\"nested\":1},"), // repeated key, object value
            User($"[{Result("t12", "\"ok\"")}]", "\"message\":\"not an object\","),
            """{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t12"}]}}""",

            // Only the head of a result's content, a string toolUseResult and an "answers" key can make a gate.
            User($"[{Result("t13", $"\"{new string('x', 3000)} User has approved your plan. The user doesn't want to proceed with this tool use\"")}]"),
            User($"[{Result("t14", $"\"{new string('x', 2040)}User has approved\"")}]"),
            User($"[{Result("t15", $"\"{new string('x', 2030)}User has approved\"")}]"),
            User($"[{Result("t16", "[{\"type\":\"image\",\"source\":{\"data\":\"abc\"}},{\"type\":\"text\",\"text\":\"User has approved your plan\"}]")}]"),
            User($"[{Result("t17", "[{\"type\":\"text\",\"text\":\"fine\"},{\"type\":\"text\",\"text\":\"User has approved your plan\"}]")}]"),
            User($"[{{\"type\":\"text\",\"text\":\"User has approved your plan\"}},{Result("t18", "\"fine\"")}]"),
            User($"[{{\"type\":\"tool_\\u0072esult\",\"tool_use_id\":\"t45\",\"content\":\"fine\",\"is_error\":true}}]"), // an escaped type
            User($"[{Result("t19", "\"fine\"")}]", "\"toolUseResult\":\"User rejected tool use\","),
            User($"[{Result("t20", "\"fine\"")}]", $"\"toolUseResult\":\"{new string('x', 5000)} The user doesn't want to proceed with this tool use\","),
            User($"[{Result("t21", "\"fine\"")}]", "\"toolUseResult\":{\"stdout\":\"User has approved\",\"nested\":{\"answers\":{\"q\":\"a\"}}},"),
            User($"[{Result("t22", "\"fine\"")}]", "\"toolUseResult\":{\"answ\\u0065rs\":{\"q\":\"a\"}},"),
            User($"[{Result("t23", "\"\\u0055ser has approved your plan\"")}]"),
            User($"[{Result("t24", "{\"text\":\"User has approved your plan\"}")}]"),
            User($"[{Result("t25", "\"fine\"")}]", "\"toolUseResult\":{\"answers\":null},"),
            User($"[{Result("t26", "\"fine\"")},{Result("t27", "\"Claude requested permissions to edit, but you haven't granted it yet.\"", error: true)}]"),

            // A string toolUseResult is looked at only for a rejection: other marker text there is a plain outcome.
            User($"[{Result("t40", "\"fine\"")}]", "\"toolUseResult\":\"User has approved your plan. Claude requested permissions to edit, but you haven't granted it yet.\","),
            User($"[{Result("t41", "\"fine\"", error: true)}]", "\"toolUseResult\":\"Error: User has answered your questions\","),
            User($"[{Result("t42", "\"fine\"")}]", "\"toolUseResult\":\"\\u0055ser rejected tool use\","),
            User($"[{Result("t43", "\"fine\"")}]", "\"toolUseResult\":\"Error: User rejected tool use\","),
            User($"[{Result("t44", "\"fine\"")}]", "\"toolUseResult\":\"The user doesn\\u0027t want to proceed with this tool use\","),
            .. Enumerable.Range(0, 14).Select(k => User(
                $"[{Result($"t{28 + (k % 12)}", $"\"{new string('a', 2026 + k)}{string.Concat(Enumerable.Repeat("\\ud83d\\ude00", 3))} The user doesn't want to proceed with this tool use\"")}]")),
        ]);

        var (scanned, full) = await SameRowsAsync(dir, [file], PrivacyLevel.Full);
        scanned.ShouldContain(r => r.Contains("rejection", StringComparison.Ordinal));
        full.Count.ShouldBe(scanned.Count);
    }

    [Fact]
    public async Task Assistant_lines_with_odd_usage_errors_questions_or_bad_json_store_the_same_rows()
    {
        using var dir = new TempDir();
        var file = dir.Combine("session.jsonl");
        var n = 0;
        string Assistant(string message, string extra = "") =>
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{{Session}}}","type":"assistant","requestId":"r{{{++n}}}",{{{extra}}}"message":{{{message}}},"timestamp":"2026-02-23T12:00:{{{n % 60:00}}}.000Z"}""";
        string Message(string usage, string content = "[]", string model = "claude-sonnet-4-5") =>
            $$$"""{"id":"m{{{n}}}","model":"{{{model}}}","role":"assistant","content":{{{content}}},"usage":{{{usage}}}}""";
        const string Usage = """{"input_tokens":3,"output_tokens":5,"cache_creation_input_tokens":7,"cache_read_input_tokens":11}""";
        File.WriteAllLines(file,
        [
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{{Session}}}","type":"user","message":{"role":"user","content":"hello"},"timestamp":"2026-02-23T12:00:00.000Z"}""",
            Assistant(Message(Usage, """[{"type":"text","text":"hi"},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}},{"type":"tool_use","id":"t2","input":{}}]""")),
            Assistant(Message("""{"input_tokens":3,"output_tokens":5,"cache_creation_input_tokens":7,"cache_creation":{"ephemeral_5m_input_tokens":2,"ephemeral_1h_input_tokens":5},"speed":"fast"}""")),
            Assistant(Message("""{"input_tokens":3,"cache_creation_input_tokens":7,"cache_creation":null,"output_tokens":1.5,"cache_read_input_tokens":"9"}""")),
            Assistant(Message("""{"input_tokens":3,"input_tokens":4,"cache_creation":{"ephemeral_5m_input_tokens":2},"cache_creation":{"ephemeral_1h_input_tokens":6}}""")),
            Assistant(Message(Usage).Replace("\"usage\":", "\"usage\":{\"input_tokens\":100},\"usage\":", StringComparison.Ordinal)),
            Assistant(Message(Usage) + ",\"message\":null"),                                     // repeated key: the last one counts
            Assistant(Message("null")),
            Assistant(Message("""{"\u0069nput_tokens":13,"output_tokens":1}""")),                 // an escaped key
            Assistant(Message(Usage, model: "<synthetic>"), "\"error\":\"rate_limit\","),
            Assistant(Message(Usage, model: "<synthetic>")),
            Assistant(Message(Usage), "\"isApiErrorMessage\":true,"),
            Assistant(Message(Usage, """[{"type":"tool_use","id":"t3","name":"AskUserQuestion","input":{"questions":[{"question":"which?"}]}}]""")),
            Assistant(Message(Usage), "\"isSidechain\":true,\"agentId\":\"a1\","),
            Assistant(Message(Usage, """{"type":"tool_use","id":"t4","name":"Bash"}""")),        // content not an array
            Assistant(Message(Usage, """[1,"x",{"type":"tool_use","type":"text","id":"t5","name":"Bash"}]""")),
            Assistant("\"not an object\""),
            Assistant(Message(Usage)).Replace(Session, "99999999-2222-3333-4444-555555555555", StringComparison.Ordinal),
            Assistant(Message(Usage))[..^20],                                                     // malformed: cut off
            Assistant(Message(Usage)) + "{}",                                                     // malformed: a second value
            Assistant(Message(Usage), "\"timestamp\":12,"),
            Assistant(Message(Usage)).Replace("\"type\":\"assistant\"", "\"type\":\"assistant\",\"type\":\"user\"", StringComparison.Ordinal),
            Assistant(Message(Usage, """[{"type":"tool_use","id":"t6","name":"AskUser\u0051uestion","input":{"questions":[{"question":"escaped?"}]}}]""")),
            Assistant(Message(Usage, """[{"type":"tool_result","tool_use_id":"t1","content":"User has approved your plan"},{"type":"tool_use","id":"t7","name":"Bash","input":{}}]""")),
            Assistant(Message(Usage, """[{"type":"text","text":"the \"tool_result\" and \"type\":\"progress\" and AskUserQuestion"}]""")),
        ]);

        var (scanned, _) = await SameRowsAsync(dir, [file], PrivacyLevel.Metadata);
        scanned.ShouldContain(r => r.StartsWith("call|", StringComparison.Ordinal) && r.Contains("|1|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|api_error|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|question|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Codex_token_counts_and_turn_contexts_with_odd_shapes_or_bad_json_store_the_same_rows()
    {
        using var dir = new TempDir();
        var file = dir.Combine("rollout-2026-02-23T12-00-00-0000.jsonl");
        var n = 0;
        string Line(string type, string payload) =>
            $$$"""{"timestamp":"2026-02-23T12:00:{{{++n % 60:00}}}.000Z","type":"{{{type}}}","payload":{{{payload}}}}""";
        string Usage(long input, long cached, long output) =>
            $$$"""{"input_tokens":{{{input}}},"cached_input_tokens":{{{cached}}},"output_tokens":{{{output}}},"reasoning_output_tokens":1,"total_tokens":{{{input + output}}}}""";
        string Count(string total, string last) => $$$"""{"type":"token_count","info":{"total_token_usage":{{{total}}},"last_token_usage":{{{last}}}},"rate_limits":null}""";
        File.WriteAllLines(file,
        [
            Line("session_meta", """{"id":"019c0000-0000-7000-8000-000000000001","cwd":"/w","cli_version":"0.104.0"}"""),
            Line("event_msg", """{"type":"token_count","info":null,"rate_limits":{"primary":{"used_percent":0.0}}}"""),
            Line("turn_context", """{"cwd":"/w","model":"gpt-5.2-codex","effort":"high"}"""),
            Line("event_msg", Count(Usage(100, 40, 10), Usage(100, 40, 10))),
            Line("event_msg", Count(Usage(100, 40, 10), Usage(100, 40, 10))),                // a repeated snapshot bills nothing
            Line("event_msg", Count(Usage(250, 90, 30), Usage(150, 50, 20))),
            Line("turn_context", """{"model":""}"""),                                           // an empty model changes nothing
            Line("event_msg", Count("null", Usage(7, 0, 3))),
            Line("event_msg", Count(Usage(300, 100, 40), "null")),
            Line("turn_context", """{"model":"gpt-5","model":"gpt-5.1-codex-mini"}"""),           // repeated key: the last one counts
            Line("event_msg", Count(Usage(10, 0, 1), Usage(10, 0, 1))),                         // a reset: bills the last response
            Line("event_msg", Count("""{"input_tokens":1.5,"\u006futput_tokens":12,"cached_input_tokens":"3"}""", "{}")),
            Line("event_msg", """{"type":"token_count","info":{"total_token_usage":{"input_tokens":20},"total_token_usage":{"input_tokens":30,"output_tokens":2}}}"""),
            Line("event_msg", """{"type":"token_count","info":[1,2]}"""),
            Line("event_msg", """{"type":"token_count","type":"agent_message","message":"x"}"""),
            Line("event_msg", "\"token_count\"") + "  ",
            Line("turn_context", """{"model":"gpt-5"}""")[..^5],                                 // malformed: cut off
            Line("event_msg", Count(Usage(400, 100, 50), Usage(100, 0, 10))) + "x",              // malformed: text after the object
            """{"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":500,"output_tokens":60}}}}""", // no time
            Line("turn_context", """{"model":"gpt-5.2-codex"}""").Replace("\"type\":\"turn_context\"", "\"type\":\"event_msg\"", StringComparison.Ordinal),
            Line("event_msg", Count(Usage(600, 100, 70), Usage(100, 0, 10))),
        ]);

        var (scanned, _) = await SameRowsAsync(dir, [file], PrivacyLevel.Metadata);
        scanned.ShouldContain(r => r.StartsWith("call|", StringComparison.Ordinal) && r.Contains("gpt-5.1-codex-mini", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.StartsWith("call|", StringComparison.Ordinal) && r.Contains("gpt-5.2-codex", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(PrivacyLevel.Metadata)]
    [InlineData(PrivacyLevel.Full)]
    public async Task System_lines_queue_operations_compact_summaries_and_other_types_with_odd_shapes_or_bad_json_store_the_same_rows(PrivacyLevel privacy)
    {
        using var dir = new TempDir();
        var file = dir.Combine("session.jsonl");
        const string Other = "99999999-2222-3333-4444-555555555555";
        var n = 0;
        string System(string subtype, string extra = "", string session = Session) =>
            $$$"""{"parentUuid":"p","isSidechain":false,"sessionId":"{{{session}}}","type":"system",{{{extra}}}"subtype":{{{subtype}}},"content":"API Error: 529 overloaded","level":"info","compactMetadata":{"trigger":"auto","preTokens":{{{++n}}}},"error":{"status":500,"error":{"type":"overloaded_error","message":"busy"}},"timestamp":"2026-02-23T12:02:{{{n % 60:00}}}.000Z"}""";
        string Queue(string extra = "", string session = Session) =>
            $$$"""{"type":"queue-operation","operation":"enqueue",{{{extra}}}"timestamp":"2026-02-23T12:03:{{{++n % 60:00}}}.000Z","sessionId":"{{{session}}}","content":"do \"this\" next"}""";
        string Compact(string value = "true", string extra = "", string session = Session) =>
            $$$"""{"parentUuid":"p","isSidechain":false,"sessionId":"{{{session}}}","type":"user",{{{extra}}}"message":{"role":"user","content":"This session is being continued from a previous conversation. Summary: [{\"type\":\"tool_result\"}]"},"isCompactSummary":{{{value}}},"isVisibleInTranscriptOnly":true,"timestamp":"2026-02-23T12:04:{{{++n % 60:00}}}.000Z"}""";
        File.WriteAllLines(file,
        [
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{{Session}}}","type":"user","message":{"role":"user","content":"hello"},"timestamp":"2026-02-23T12:00:00.000Z"}""",
            System("\"stop_hook_summary\""),
            System("\"turn_duration\""),
            System("\"local_command\""),
            System("\"compact_boundary\""),
            System("\"api_error\""),
            System("\"compact_\\u0062oundary\""),                                               // an escaped value
            System("\"api_error\"", "\"subtype\":\"turn_duration\","),                          // repeated key: the last one counts
            System("\"turn_duration\"", "\"subtype\":\"api_error\","),
            System("null"),
            System("{\"nested\":\"api_error\"}"),
            System("\"turn_duration\"").Replace("\"subtype\":", "\"\\u0073ubtype\":", StringComparison.Ordinal), // an escaped key
            System("\"turn_duration\"", session: Other),                                         // a new session starts on a system line
            System("\"turn_duration\""),
            System("\"turn_duration\"").Replace($"\"sessionId\":\"{Session}\",", "", StringComparison.Ordinal),
            System("\"turn_duration\"").Replace("\"type\":\"system\"", "\"type\":\"system\",\"type\":\"user\"", StringComparison.Ordinal),
            System("\"turn_duration\"").Replace("\"type\":\"system\"", "\"type\":\"user\",\"type\":\"system\"", StringComparison.Ordinal),
            System("\"turn_duration\"")[..^25],                                                 // malformed: cut off
            System("\"turn_duration\"") + "]",                                                  // malformed: text after the object
            System("\"turn_duration\"").Replace("\"level\":\"info\"", "\"level\":\"info\",", StringComparison.Ordinal), // malformed: a trailing comma
            Queue(),
            Queue(session: Session),
            Queue("\"type\":\"assistant\","),
            Queue(session: "88888888-2222-3333-4444-555555555555"),
            Queue()[..^3],
            $$$"""{"type":{"k":"queue-operation"},"sessionId":"{{{Other}}}","message":{"content":[]}}""",
            $$$"""{"type":"summary","summary":"a \"type\":\"system\" lookalike","leafUuid":"x","sessionId":"{{{Other}}}"}""",
            Compact(),
            Compact("false"),
            Compact("1"),
            Compact(session: Other),
            Compact(extra: "\"isCompactSummary\":false,"),
            Compact("true").Replace("\"isCompactSummary\":true", "\"isCompactSummary\":true,\"isCompactSummary\":false", StringComparison.Ordinal),
            Compact()[..^10],
        ]);

        var (scanned, _) = await SameRowsAsync(dir, [file], privacy);
        scanned.ShouldContain(r => r.Contains("|compaction|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|api_error|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|session|", StringComparison.Ordinal) && r.Contains(Other, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(PrivacyLevel.Metadata)]
    [InlineData(PrivacyLevel.Full)]
    public async Task Subagent_progress_lines_with_odd_shapes_or_bad_json_store_the_same_rows(PrivacyLevel privacy)
    {
        using var dir = new TempDir();
        var file = dir.Combine("session.jsonl");
        var n = 0;
        string Progress(string data, string extra = "") =>
            $$$"""{"parentUuid":"p","isSidechain":false,"sessionId":"{{{Session}}}","type":"progress",{{{extra}}}"data":{{{data}}},"toolUseID":"agent_msg_1","timestamp":"2026-02-23T12:01:{{{++n % 60:00}}}.000Z"}""";
        string Data(string embedded, string agent = "\"a1\"") => $$$"""{"type":"agent_progress","agentId":{{{agent}}},"message":{{{embedded}}},"prompt":""}""";
        string Embedded(string message, string type = "assistant", string time = "\"2026-02-23T11:59:00.000Z\"") =>
            $$$"""{"type":"{{{type}}}","requestId":"req{{{n}}}","timestamp":{{{time}}},"message":{{{message}}}}""";
        string Message(string usage, string model = "claude-haiku-4-5") =>
            $$$"""{"id":"msg{{{n}}}","model":"{{{model}}}","role":"assistant","content":[{"type":"tool_use","id":"tp{{{n}}}","name":"Read","input":{}}],"usage":{{{usage}}}}""";
        const string Usage = """{"input_tokens":3,"output_tokens":5,"cache_creation_input_tokens":7,"cache_read_input_tokens":11,"cache_creation":{"ephemeral_5m_input_tokens":2,"ephemeral_1h_input_tokens":5}}""";
        File.WriteAllLines(file,
        [
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{{Session}}}","type":"user","message":{"role":"user","content":"hello"},"timestamp":"2026-02-23T12:00:00.000Z"}""",
            Progress(Data(Embedded(Message(Usage)))),
            Progress(Data(Embedded("""{"role":"user","content":[{"type":"tool_result","tool_use_id":"tp1","content":"User has approved"}]}""", type: "user"))),
            Progress(Data(Embedded(Message(Usage, model: "<synthetic>")))),
            Progress(Data(Embedded(Message("null")))),
            Progress(Data(Embedded(Message("""{"input_tokens":1.5,"output_tokens":"2","speed":"fast"}""")))),
            Progress(Data(Embedded(Message(Usage), time: "12"))),
            Progress(Data(Embedded(Message(Usage), time: "null"))),
            Progress(Data(Embedded(Message(Usage)), agent: "null")),
            Progress(Data(Embedded("\"not an object\""))),
            Progress(Data("[1]")),
            Progress("\"not an object\""),
            Progress(Data(Embedded(Message(Usage))) + ",\"data\":" + Data(Embedded(Message("""{"input_tokens":100}""")), agent: "\"a2\"")),
            Progress(Data(Embedded(Message(Usage)) + ",\"message\":null")),
            Progress(Data(Embedded(Message(Usage)) + ",\"message\":{\"x\":1}")),
            Progress(Data(Embedded(Message(Usage)).Replace("\"type\":\"assistant\"", "\"type\":\"assistant\",\"type\":\"user\"", StringComparison.Ordinal))),
            Progress(Data(Embedded(Message(Usage)).Replace("\"message\":{", "\"message\":null,\"message\":{", StringComparison.Ordinal))),
            Progress(Data(Embedded(Message(Usage))).Replace("\"agentId\"", "\"\\u0061gentId\"", StringComparison.Ordinal)),
            Progress(Data(Embedded(Message(Usage)))).Replace("\"type\":\"progress\",", "", StringComparison.Ordinal),                // no type
            Progress(Data(Embedded(Message(Usage))), "\"type\":\"assistant\","),
            $$$"""{"sessionId":"{{{Session}}}","data":{{{Data(Embedded(Message(Usage)))}}},"type":"progress"}""",                           // type last, no time
            Progress(Data(Embedded(Message(Usage)))).Replace(Session, "99999999-2222-3333-4444-555555555555", StringComparison.Ordinal),
            Progress(Data(Embedded(Message(Usage)))).Replace($"\"sessionId\":\"{Session}\",", "", StringComparison.Ordinal),
            Progress(Data(Embedded(Message(Usage))))[..^30],                                           // malformed: cut off
            Progress(Data(Embedded(Message(Usage)))) + " x",                                           // malformed: text after the object
        ]);

        var (scanned, _) = await SameRowsAsync(dir, [file], privacy);
        scanned.Count(r => r.StartsWith("call|", StringComparison.Ordinal)).ShouldBeGreaterThan(5);
    }

    [Theory]
    [InlineData(PrivacyLevel.Metadata)]
    [InlineData(PrivacyLevel.Full)]
    public async Task Codex_tool_calls_outputs_prompts_and_other_items_with_odd_shapes_or_bad_json_store_the_same_rows(PrivacyLevel privacy)
    {
        using var dir = new TempDir();
        var file = dir.Combine("rollout-2026-02-23T12-00-00-0000.jsonl");
        var n = 0;
        string Line(string type, string payload, string? time = null) =>
            $$$"""{"timestamp":{{{time ?? $"\"2026-02-23T12:00:{++n % 60:00}.000Z\""}}},"type":"{{{type}}}","payload":{{{payload}}}}""";
        string Call(string id, string name = "exec_command", string arguments = "\"{\\\"cmd\\\":\\\"ls\\\"}\"") =>
            Line("response_item", $$$"""{"type":"function_call","name":"{{{name}}}","arguments":{{{arguments}}},"call_id":"{{{id}}}"}""");
        string Output(string id, string output, string type = "function_call_output") =>
            Line("response_item", $$$"""{"type":"{{{type}}}","call_id":"{{{id}}}","output":{{{output}}}}""");
        string Prompt(string message) => Line("event_msg", $$$"""{"type":"user_message","message":{{{message}}},"images":[],"local_images":[],"text_elements":[]}""");

        // Outputs longer than the 2,048 characters an outcome is read from, cut at every byte of an escape.
        var longOutputs = Enumerable.Range(0, 8).Select(k =>
            Output($"long{k}", $"\"{new string('a', 4090 + k)}\\u00e9\\n Process exited with code 1\""));
        File.WriteAllLines(file,
        [
            Line("session_meta", """{"id":"019c0000-0000-7000-8000-000000000001","cwd":"/w","cli_version":"0.104.0","originator":"codex_cli_rs"}"""),
            Line("turn_context", """{"cwd":"/w","model":"gpt-5.2-codex"}"""),
            Prompt("\"fix the build\\nplease\""),
            Prompt("\"  /review the diff\""),
            Prompt("\"<environment_context>cwd</environment_context>\""),
            Prompt("\"   \""),
            Prompt("null"),
            Prompt("42"),
            Prompt("\"caf\\u00e9 \\ud83d\\ude00\""),
            Line("event_msg", """{"message":"type comes second","type":"user_message"}"""),
            Call("c1"),
            Output("c1", "\"Process exited with code 0\\nOutput: fine\""),
            Call("c2"),
            Output("c2", "\"Exit code: 2\\nWall time: 0.1 seconds\""),
            Call("c3"),
            Output("c3", "\"{\\\"output\\\":\\\"x\\\",\\\"metadata\\\":{\\\"exit_code\\\":1}}\""),
            Call("c4"),
            Output("c4", "\"aborted: rejected by user\""),
            Call("c5"),
            Output("c5", "\"error: no such file\""),
            Call("c6"),
            Output("c6", "null"),
            Call("c7"),
            Output("c7", """{"exit_code":1}"""),
            Call("c8"),
            Output("c8", "[1,2]"),
            Call("c9"),
            Output("c9", "12"),
            Call("c10"),
            Line("response_item", """{"type":"function_call_output","call_id":"c10"}"""),
            Line("response_item", """{"type":"function_call_output","call_id":{"id":"c10"},"output":"x"}"""),
            Line("response_item", """{"type":"function_call_output","output":"Process exited with code 3"}"""),
            Call("c11"),
            Line("response_item", """{"type":"function_call_output","call_id":"c11","output":"Process exited with code 4","output":null}"""),
            Line("response_item", """{"type":"function_call","id":"c12","arguments":"{}"}"""),
            Output("c12", "\"Process exited with code 5\""),
            Line("response_item", """{"type":"function_call","name":"a","name":"b","call_id":"x","call_id":"c13","arguments":{"cmd":"ls"},"input":"from input"}"""),
            Output("c13", "\"ok\""),
            Line("response_item", """{"type":"custom_tool_call","status":"completed","call_id":"c14","name":"apply_patch","input":"*** Begin Patch"}"""),
            Output("c14", "\"{\\\"output\\\":\\\"Success\\\",\\\"metadata\\\":{\\\"exit_code\\\":0}}\"", "custom_tool_call_output"),
            Line("response_item", """{"type":"custom_tool_call","call_id":"c15","name":"apply_patch","action":{"x":1}}"""),
            Line("response_item", """{"type":"custom_tool_call","call_id":"c16","name":"apply_patch","action":null}"""),
            Line("response_item", """{"type":"local_shell_call","call_id":"c17","action":{"command":["ls"]}}"""),
            Output("c17", "\"Process exited with code 0\""),
            Line("response_item", """{"type":"web_search_call","status":"completed","action":{"type":"search","query":"x"}}"""),
            Call("q1", "request_user_input", "\"{\\\"questions\\\":[{\\\"question\\\":\\\"which?\\\"},{\\\"question\\\":\\\"why?\\\"}]}\""),
            Output("q1", "\"answer: this one\""),
            Call("q2", "request_user_input"),
            Output("q2", "\"user declined\""),
            Line("response_item", """{"\u0074ype":"function\u005fcall","n\u0061me":"esc\"aped","arguments":"{}","call_id":"c18"}"""),
            Line("response_item", """{"type":"function_call_output","call_id":"c18","output":"Process exited with code 7"}""").Replace("\"response_item\"", "\"resp\\u006fnse_item\"", StringComparison.Ordinal),
            Line("response_item", """{"role":"assistant","type":"message","content":[{"type":"output_text","text":"done"}]}"""),
            Line("response_item", """{"summary":[],"type":"reasoning","encrypted_content":"abc"}"""),
            Line("event_msg", """{"message":"thinking","type":"agent_reasoning"}"""),
            Line("event_msg", """{"type":"task_started","model_context_window":258400}"""),
            Line("event_msg", """{"type":"turn_aborted","reason":"interrupted"}"""),
            Line("event_msg", """{"type":"context_compacted"}"""),
            Line("event_msg", """{"type":"error","message":"stream disconnected"}"""),
            Line("compacted", """{"message":"summary"}"""),
            Line("response_item", """{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c19"}""", time: "12"),
            Line("response_item", """{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c20"}""", time: "\"2026-02-23T14:00:00+02:00\""),
            Line("response_item", """{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c21"}""", time: "\"2026-02-23T12:00:00.123456789Z\""),
            Line("response_item", """{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c22"}""", time: "\"2026-02-30T12:00:00.000Z\""),
            Line("response_item", """{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c23"}""", time: "\"2026-02-23T12:00:00.1234567Z\""),
            """{"type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c24"}}""", // no time
            Line("response_item", """{"type":"function_call","name":"exec_command","call_id":"c25"}""") + ",\"payload\":{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"rejected by user\"}}"[..^1],
            Line("response_item", """{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c26"}""")[..^9],   // malformed: cut off
            Output("c1", "\"ok\"") + "{}",                                                                                        // malformed: a second value
            Output("c1", "\"bad \\x escape\""),                                                                                 // malformed: an invalid escape
            Line("response_item", "\"function_call\""),
            """["response_item",{"type":"function_call"}]""",
            .. longOutputs,
        ]);

        var (scanned, _) = await SameRowsAsync(dir, [file], privacy);
        scanned.ShouldContain(r => r.Contains("|question|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|answer|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|rejection|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|human_prompt|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|api_error|", StringComparison.Ordinal));
        scanned.ShouldContain(r => r.Contains("|tool_call|", StringComparison.Ordinal) && r.Contains("|c3|error|", StringComparison.Ordinal));
    }

    [Fact]
    public void The_timestamp_fast_path_reads_exactly_what_DateTimeOffset_TryParse_reads()
    {
        // Every time in the corpus, then the shapes around the one the fast path takes.
        var times = Directory.EnumerateFiles(Corpus.Dir, "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .SelectMany(l => System.Text.RegularExpressions.Regex.Matches(l, "\"timestamp\":\"([^\"]*)\"").Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        times.Count.ShouldBeGreaterThan(1000);
        string[] odd =
        [
            "2026-02-23T12:00:01Z", "2026-02-23T12:00:01.5Z", "2026-02-23T12:00:01.1234567Z", "2026-02-23T12:00:01.12345678Z",
            "2026-02-23T12:00:01.999999999Z", "2026-02-23T12:00:01.Z", "2026-02-23T12:00:01.000z", "2026-02-23T12:00:01.000",
            "2026-02-23 12:00:01.000Z", "2026-02-23T12:00:01.000+02:00", "2024-02-29T00:00:00.000Z", "2026-02-29T00:00:00.000Z",
            "2026-02-30T12:00:01.000Z", "2026-13-01T12:00:01.000Z", "2026-00-01T12:00:01.000Z", "2026-01-00T12:00:01.000Z",
            "2026-12-31T23:59:59.9999999Z", "2026-02-23T24:00:00.000Z", "2026-02-23T23:60:00.000Z", "2026-02-23T23:59:60.000Z",
            "0000-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.9999999Z", "+026-02-23T12:00:01.000Z",
            "2026-02-23T12:00:0a.000Z", "2026-02-23T12:00:01.0a0Z", "2026-2-23T12:00:01.000Z", " 2026-02-23T12:00:01.000Z",
            "2026-02-23T12:00:01.000Z ", "２026-02-23T12:00:01.000Z", "2026-02-23T12:00:01.-10Z", "",
        ];
        var fast = 0;
        foreach (var time in times.Concat(odd))
        {
            var expected = DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var t) ? t : (DateTimeOffset?)null;
            if (!Fleet.Telemetry.Readers.TranscriptReader.TryParseUtcTimestamp(System.Text.Encoding.UTF8.GetBytes(time), out var got))
                continue;
            fast++;
            expected.ShouldNotBeNull(time);
            (got.UtcTicks, got.Offset).ShouldBe((expected.Value.UtcTicks, expected.Value.Offset), time);
        }

        fast.ShouldBeGreaterThan(times.Count / 2);
    }

    [Fact]
    public void The_Claude_skip_check_skips_exactly_the_lines_a_search_per_kind_skips()
    {
        static bool PerKind(byte[] line)
        {
            if (line.AsSpan().StartsWith("{\"type\":\"file-history-snapshot\""u8))
                return true;
            var head = line.AsSpan(0, Math.Min(line.Length, 2048));
            return head.IndexOf("\"type\":\"hook_progress\""u8) >= 0
                || head.IndexOf("\"type\":\"bash_progress\""u8) >= 0
                || head.IndexOf("\"type\":\"waiting_for_task\""u8) >= 0;
        }

        var reader = new Fleet.Telemetry.Readers.ClaudeTranscriptReader(new Fleet.Telemetry.Readers.ReaderContext
        {
            File = "x.jsonl",
            Sink = new Fleet.Telemetry.Readers.RecordSink(),
            Privacy = PrivacyPolicy.Default,
        });
        var lines = Directory.EnumerateFiles(Path.Combine(Corpus.Dir, "claude"), "*.jsonl").SelectMany(File.ReadLines).Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        const string Hook = "\"type\":\"hook_progress\"";
        string[] crafted =
        [
            "{\"type\":\"progress\",\"data\":{\"type\":\"bash_progress\"}}",
            "{\"type\":\"progress\",\"data\":{\"type\":\"waiting_for_task\"}}",
            "{\"type\":\"progress\",\"data\":{\"type\":\"hook_progres\"}}",
            "{\"type\":\"type\":\"hook_progress\"}",
            "{\"type\":\"\"type\":\"bash_progress\"}",
            "{\"x\":\"" + new string('a', 2048 - 8 - Hook.Length) + "\"," + Hook + "}",
            "{\"x\":\"" + new string('a', 2048 - 7 - Hook.Length) + "\"," + Hook + "}",
            "{\"x\":\"" + new string('a', 2048 - 16) + "\"," + Hook + "}",
            "{\"type\":\"",
            "\"type\":\"hook_progress\"",
            "",
        ];
        var skipped = 0;
        foreach (var line in lines.Concat(crafted.Select(System.Text.Encoding.UTF8.GetBytes)))
        {
            var expected = PerKind(line);
            reader.CanSkip(line).ShouldBe(expected, System.Text.Encoding.UTF8.GetString(line[..Math.Min(line.Length, 120)]));
            skipped += expected ? 1 : 0;
        }

        skipped.ShouldBeGreaterThan(1000);
        lines.Count.ShouldBeGreaterThan(skipped);
    }

    /// <summary>Ingests <paramref name="paths"/> twice (scans on, scans off) and checks every stored row is the same.</summary>
    private static async Task<(List<string> Scanned, List<string> Full)> SameRowsAsync(TempDir dir, IReadOnlyList<string> paths, PrivacyLevel privacy)
    {
        var scanned = await RowsAsync(dir.Combine("scanned.db"), paths, new IngestOptions { Privacy = privacy });
        var full = await RowsAsync(dir.Combine("full.db"), paths, new IngestOptions { Privacy = privacy, Scans = false });
        scanned.Count.ShouldBeGreaterThan(0);
        scanned.ShouldBe(full);
        return (scanned, full);
    }

    private static async Task<List<string>> RowsAsync(string db, IReadOnlyList<string> paths, IngestOptions options)
    {
        var rows = new List<string>();
        await using (var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
        {
            var report = await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, options, Ct).SlowTimeout();
            rows.AddRange(report.Files.Select(f => $"file {Path.GetFileName(f.Path)} {f.LinesRead} {f.Records} {f.ModelCalls} {f.Malformed} {f.TruncatedTail}"));
        }

        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        foreach (var sql in new[]
        {
            "SELECT 'event', s.path, e.line, e.kind, e.provider, e.session_id, e.agent_id, e.sidechain, e.ts, e.name, e.tool_use_id, e.outcome, e.subject, e.count, e.number, e.text FROM events e JOIN sources s ON s.id = e.source_id ORDER BY s.path, e.line, e.id",
            "SELECT 'call', s.path, c.line, c.provider, c.session_id, c.agent_id, c.sidechain, c.project, c.ts, c.model, c.model_assumed, c.message_id, c.request_id, c.input, c.output, c.cache_write_5m, c.cache_write_1h, c.cache_read, c.reasoning, c.fast FROM model_calls c JOIN sources s ON s.id = c.source_id ORDER BY s.path, c.line, c.id",
            "SELECT 'source', path, format, offset, line, malformed, truncated, state FROM sources ORDER BY path",
        })
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            while (reader.Read())
                rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }
}
