using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

public class RehearsalServerTests
{
    private const string Script = """
        { "rules": [
            { "worker": "writer", "turns": [
                { "type": "write_file", "path": "hello.txt", "content": "hi\n", "usage": { "input_tokens": 11, "output_tokens": 22, "cache_creation_input_tokens": 33, "cache_read_input_tokens": 44 } },
                { "type": "text", "text": "done" } ] },
            { "worker": "failer", "turns": [ { "type": "fail", "status": 529, "message": "scripted overload" } ] } ] }
        """;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task The_endpoint_binds_to_loopback_on_a_free_port_and_streams_a_scripted_tool_use_as_anthropic_sse()
    {
        var logged = new List<RehearsalLogEntry>();
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script), Log = e => { lock (logged) { logged.Add(e); } } }, TestContext.Current.CancellationToken).DefaultTimeout();
        server.BaseUrl.Host.ShouldBe("127.0.0.1");
        server.Port.ShouldBeGreaterThan(0);
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages?beta=true")
        {
            Content = Json("""{ "model": "claude-sonnet-4-5", "stream": true, "system": "Primary working directory: /w", "messages": [ { "role": "user", "content": "go" } ] }"""),
        };
        request.Headers.Add("x-api-key", "rehearsal:f:writer:1");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken).DefaultTimeout();
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = body.Split('\n').Where(l => l.StartsWith("event: ", StringComparison.Ordinal)).Select(l => l[7..]).ToList();
        events.ShouldBe(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
        var data = body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[6..]).RootElement).ToList();
        data[0].GetProperty("message").GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64().ShouldBe(44);
        data[2].GetProperty("content_block").GetProperty("name").GetString().ShouldBe("Write");
        var input = string.Concat(data.Where(d => d.GetProperty("type").GetString() == "content_block_delta").Select(d => d.GetProperty("delta").GetProperty("partial_json").GetString()));
        JsonDocument.Parse(input).RootElement.GetProperty("file_path").GetString().ShouldBe("/w/hello.txt");
        data[6].GetProperty("delta").GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        data[6].GetProperty("usage").GetProperty("output_tokens").GetInt64().ShouldBe(22);
        server.ModelCalls(RehearsalKey.Create("f", "writer", 1)).ShouldBe(1);
        lock (logged)
        {
            logged.ShouldHaveSingleItem().Outcome.ShouldBe("step 0: tool Write");
        }
    }

    [Fact]
    public async Task A_scripted_failure_and_a_key_that_is_not_a_rehearsal_key_get_errors_in_each_providers_format()
    {
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var ct = TestContext.Current.CancellationToken;

        using var overloaded = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = Json("""{ "stream": true, "messages": [] }""") };
        overloaded.Headers.Add("x-api-key", "rehearsal:f:failer:1");
        using var r1 = await http.SendAsync(overloaded, ct).DefaultTimeout();
        ((int)r1.StatusCode).ShouldBe(529);
        var e1 = JsonDocument.Parse(await r1.Content.ReadAsStringAsync(ct).DefaultTimeout()).RootElement;
        e1.GetProperty("error").GetProperty("type").GetString().ShouldBe("overloaded_error");
        e1.GetProperty("error").GetProperty("message").GetString().ShouldBe("scripted overload");

        using var badKey = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = Json("""{ "stream": true, "input": [] }""") };
        badKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-not-rehearsal");
        using var r2 = await http.SendAsync(badKey, ct).DefaultTimeout();
        r2.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var e2 = JsonDocument.Parse(await r2.Content.ReadAsStringAsync(ct).DefaultTimeout()).RootElement;
        e2.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("rehearsal:<fleet>:<worker>:<iteration>");

        using var noRule = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = Json("""{ "stream": true, "input": [] }""") };
        noRule.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "rehearsal:f:nobody:1");
        using var r3 = await http.SendAsync(noRule, ct).DefaultTimeout();
        r3.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await r3.Content.ReadAsStringAsync(ct).DefaultTimeout()).ShouldContain("no script rule matches fleet 'f' worker 'nobody' iteration 1");
    }

    [Fact]
    public async Task A_codex_call_gets_a_function_call_and_a_completed_response_with_usage_in_openai_terms()
    {
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{ "model": "m", "stream": true, "tools": [ { "type": "function", "name": "exec_command" } ], "input": [ { "type": "message", "role": "user", "content": [ { "type": "input_text", "text": "go" } ] } ] }"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "rehearsal:f:writer:1");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken).DefaultTimeout();
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        var data = body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[6..]).RootElement).ToList();
        data.Select(d => d.GetProperty("type").GetString()).ShouldBe(["response.created", "response.output_item.added", "response.output_item.done", "response.completed"]);
        var call = data[2].GetProperty("item");
        call.GetProperty("name").GetString().ShouldBe("exec_command");
        JsonDocument.Parse(call.GetProperty("arguments").GetString()!).RootElement.GetProperty("cmd").GetString().ShouldBe("printf '%s' 'hi\n' > 'hello.txt'");
        var usage = data[3].GetProperty("response").GetProperty("usage");
        usage.GetProperty("input_tokens").GetInt64().ShouldBe(11 + 33 + 44);
        usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt64().ShouldBe(44);
        usage.GetProperty("output_tokens").GetInt64().ShouldBe(22);
    }

    [Fact]
    public async Task A_restarted_endpoint_issues_new_ids_and_goes_on_from_a_tool_call_the_previous_one_played()
    {
        var script = RehearsalScript.Parse("""
            { "rules": [ { "worker": "w", "turns": [
                { "type": "shell", "command": "echo one" },
                { "type": "shell", "command": "echo two" },
                { "type": "text", "text": "done" } ] } ] }
            """);
        string first;
        string before;
        await using (var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = script }, TestContext.Current.CancellationToken).DefaultTimeout())
        {
            before = server.IdPrefix;
            first = (await CallAsync(server, """[ { "role": "user", "content": "go" } ]""")).GetProperty("content")[0].GetProperty("id").GetString()!;
        }

        await using var restarted = await RehearsalServer.StartAsync(new RehearsalOptions { Script = script }, TestContext.Current.CancellationToken).DefaultTimeout();
        var history = $$"""
            [ { "role": "user", "content": "go" },
              { "role": "assistant", "content": [ { "type": "tool_use", "id": "{{first}}", "name": "Bash", "input": {} } ] },
              { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "{{first}}", "content": "one" } ] } ]
            """;
        var second = await CallAsync(restarted, history);
        var replayed = await CallAsync(restarted, """[ { "role": "user", "content": "go" } ]""");

        restarted.IdPrefix.ShouldNotBe(before);
        first.ShouldContain(before);
        second.GetProperty("content")[0].GetProperty("input").GetProperty("command").GetString().ShouldBe("echo two");
        var secondId = second.GetProperty("content")[0].GetProperty("id").GetString()!;
        secondId.ShouldContain(restarted.IdPrefix);
        // The same call again from the top gets the first step, under an id the first endpoint never issued.
        var again = replayed.GetProperty("content")[0];
        again.GetProperty("input").GetProperty("command").GetString().ShouldBe("echo one");
        again.GetProperty("id").GetString().ShouldNotBe(first);
        new[] { first, secondId, again.GetProperty("id").GetString() }.Distinct().Count().ShouldBe(3);
    }

    [Fact]
    public async Task A_restarted_endpoint_that_reads_the_run_log_does_not_fail_again_the_calls_a_fail_turn_already_failed()
    {
        var script = RehearsalScript.Parse("""
            { "rules": [ { "worker": "w", "turns": [
                { "type": "fail", "status": 529, "times": 2 },
                { "type": "text", "text": "done" } ] } ] }
            """);
        using var dir = new Infrastructure.TempDir();
        var layout = new Fleet.State.FleetLayout(dir.Path);
        var ct = TestContext.Current.CancellationToken;
        await using (var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = script, Log = RehearsalRequestLog.Appender(layout) }, ct).DefaultTimeout())
        {
            (await StatusAsync(server)).ShouldBe(529);
        }

        // A crash mid-write leaves a torn last line: reading skips it.
        await File.AppendAllTextAsync(layout.RehearsalRequestsFile, """{"at":"2026-""", ct);
        var earlier = await RehearsalRequestLog.ReadAsync(layout, ct).DefaultTimeout();
        earlier.Select(e => e.Outcome).ShouldBe(["step 0: fail 529"]);

        await using var restarted = await RehearsalServer.StartAsync(new RehearsalOptions { Script = script, Earlier = earlier }, ct).DefaultTimeout();
        (await StatusAsync(restarted)).ShouldBe(529);
        (await StatusAsync(restarted)).ShouldBe(200);

        // Without the log the count starts again: the restarted endpoint would fail both calls again.
        await using var forgetful = await RehearsalServer.StartAsync(new RehearsalOptions { Script = script }, ct).DefaultTimeout();
        (await StatusAsync(forgetful)).ShouldBe(529);
    }

    private static async Task<int> StatusAsync(RehearsalServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = Json("""{ "model": "m", "stream": false, "messages": [ { "role": "user", "content": "go" } ] }""") };
        request.Headers.Add("x-api-key", "rehearsal:f:w:1");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken).DefaultTimeout();
        return (int)response.StatusCode;
    }

    /// <summary>One non-streamed Anthropic call for worker w; returns the message.</summary>
    private static async Task<JsonElement> CallAsync(RehearsalServer server, string messages)
    {
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = Json($$"""{ "model": "m", "stream": false, "messages": {{messages}} }"""),
        };
        request.Headers.Add("x-api-key", "rehearsal:f:w:1");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken).DefaultTimeout();
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).DefaultTimeout()).RootElement.Clone();
    }
}
