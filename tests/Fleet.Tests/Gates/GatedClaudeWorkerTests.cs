using System.Text;
using System.Text.Json;
using Fleet.Gates;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Gates;

/// <summary>
/// The REAL claude under fleet's gates, against the rehearsal endpoint: the shim holds claude's stdin, answers
/// its can_use_tool control requests by rule or waits for a person's answer file, written here exactly as
/// <c>fleet approve|deny</c> writes it (<see cref="GateAnswer"/>, CreateNew).
/// </summary>
public sealed class GatedClaudeWorkerTests : IAsyncDisposable
{
    private const string Script = """
        { "rules": [
            { "worker": "writer", "turns": [
                { "type": "write_file", "path": "out/hello.txt", "content": "hello\n" },
                { "type": "text", "text": "Wrote it." } ] },
            { "worker": "twice", "turns": [
                { "type": "shell", "command": "echo one >> out/log.txt" },
                { "type": "shell", "command": "echo one >> out/log.txt" },
                { "type": "text", "text": "Twice." } ] },
            { "worker": "pusher", "turns": [
                { "type": "shell", "command": "touch out/safe.txt" },
                { "type": "shell", "command": "prisma db push --accept-data-loss" },
                { "type": "text", "text": "Pushed." } ] },
            { "worker": "counter", "turns": [
                { "type": "shell", "command": "touch out/a" },
                { "type": "shell", "command": "mkdir -p out/denied" },
                { "type": "write_file", "path": "out/w.txt", "content": "w\n" },
                { "type": "shell", "command": "cp out/a out/b" },
                { "type": "shell", "command": "touch out/c" },
                { "type": "text", "text": "Counted." } ] } ] }
        """;

    private readonly TempDir _root = new("fleet-gates-e2e-");
    private RehearsalServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _root.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string IterationDir => _root.Combine("iterations", "1");

    [Fact]
    public async Task A_write_raises_a_gate_the_worker_waits_and_an_allow_lets_it_through()
    {
        var run = await StartAsync("writer", null);

        var request = (await NextRequestsAsync(1)).Single();
        request.Tool.ShouldBe("Write");
        request.Kind.ShouldBe("permission");
        request.Summary.ShouldBe(Path.Combine("out", "hello.txt"));
        request.AlwaysRule.ShouldBe($"Write(/{_root.Combine("out", "hello.txt")})");
        await Task.Delay(500, Ct);
        run.IsCompleted.ShouldBeFalse("the worker waits for a person");
        File.Exists(_root.Combine("out", "hello.txt")).ShouldBeFalse();

        await AnswerAsync(request.Id, new GateAnswer("allow", null, false, null, "tester", DateTimeOffset.UtcNow));
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.ReadAllText(_root.Combine("out", "hello.txt")).ShouldBe("hello\n");
        var gate = (await GatesAsync("writer")).Single();
        gate.Id.ShouldBe(request.Id);
        (gate.Decision, gate.DecidedBy).ShouldBe(("allow", "person"));
        gate.WaitedMs.ShouldBeGreaterThanOrEqualTo(500);
        File.Exists(GatePaths.Closed(IterationDir, request.Id)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_deny_with_a_message_fails_the_tool_with_that_message_in_the_workers_stream()
    {
        var run = await StartAsync("writer", null);

        var request = (await NextRequestsAsync(1)).Single();
        await AnswerAsync(request.Id, new GateAnswer("deny", "Not in this repo: write to docs/ instead.", false, null, "tester", DateTimeOffset.UtcNow));
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.Exists(_root.Combine("out", "hello.txt")).ShouldBeFalse();
        var toolResult = File.ReadLines(Path.Combine(IterationDir, "writer.log")).Single(l => l.Contains("\"tool_result\"", StringComparison.Ordinal));
        toolResult.ShouldContain("\"content\":\"Not in this repo: write to docs/ instead.\",\"is_error\":true");
        var gate = (await GatesAsync("writer")).Single();
        (gate.Decision, gate.DecidedBy, gate.Message).ShouldBe(("deny", "person", "Not in this repo: write to docs/ instead."));
    }

    [Fact]
    public async Task Always_stops_the_same_request_from_asking_again_in_the_run()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var run = await StartAsync("twice", null);

        var request = (await NextRequestsAsync(1)).Single();
        request.AlwaysRule.ShouldBe("Bash(echo one >> out/log.txt)");
        // What `fleet approve --always` does: the rule for the rest of the run, then the answer.
        var runRules = GatePaths.RunRules(_root.Combine(".fleet"));
        await File.WriteAllTextAsync(runRules, JsonSerializer.Serialize(new RunGateRules(null, [request.AlwaysRule!]), GateJsonContext.Default.RunGateRules), Ct);
        await AnswerAsync(request.Id, new GateAnswer("allow", null, true, null, "tester", DateTimeOffset.UtcNow));
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.ReadAllText(_root.Combine("out", "log.txt")).ShouldBe("one\none\n");
        Directory.GetFiles(GatePaths.Dir(IterationDir), "*.request.json").Length.ShouldBe(1);
        var gates = await GatesAsync("twice");
        gates.Select(g => (g.Decision, g.DecidedBy, g.Rule)).ShouldBe([("allow", "person", "Bash(echo one >> out/log.txt)"), ("allow", "rule", "Bash(echo one >> out/log.txt)")]);
    }

    [Fact]
    public async Task A_destructive_command_asks_even_though_an_allow_rule_matches_everything()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var run = await StartAsync("pusher", """{ "allow": ["Bash(*)"] }""");

        var request = (await NextRequestsAsync(1)).Single();
        request.Summary.ShouldBe("prisma db push --accept-data-loss");
        request.Reason.ShouldContain("--accept-data-loss");
        await AnswerAsync(request.Id, new GateAnswer("deny", "No data loss, please.", false, null, "tester", DateTimeOffset.UtcNow));
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.Exists(_root.Combine("out", "safe.txt")).ShouldBeTrue();
        var gates = await GatesAsync("pusher");
        gates.Select(g => (g.Summary, g.Decision, g.DecidedBy, g.Rule)).ShouldBe([
            ("touch out/safe.txt", "allow", "rule", "Bash(*)"),
            ("prisma db push --accept-data-loss", "deny", "person", null)]);
    }

    [Fact]
    public async Task A_run_with_two_asks_and_three_rule_decisions_logs_exactly_those()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var run = await StartAsync("counter", """{ "allow": ["Bash(touch:*)"], "deny": ["Bash(mkdir:*)"] }""");

        var first = (await NextRequestsAsync(1)).Single();
        first.Tool.ShouldBe("Write");
        await AnswerAsync(first.Id, new GateAnswer("allow", null, false, null, "tester", DateTimeOffset.UtcNow));
        var second = (await NextRequestsAsync(2)).Single(r => r.Id != first.Id);
        second.Summary.ShouldBe("cp out/a out/b");
        await AnswerAsync(second.Id, new GateAnswer("allow", null, false, null, "tester", DateTimeOffset.UtcNow));
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        var gates = await GatesAsync("counter");
        gates.Count.ShouldBe(5);
        gates.Count(g => g.DecidedBy == "person").ShouldBe(2);
        gates.Count(g => g.DecidedBy == "rule").ShouldBe(3);
        gates.Select(g => g.Decision).ShouldBe(["allow", "deny", "allow", "allow", "allow"]);
        gates.Select(g => g.Id).Distinct().Count().ShouldBe(5);
        Directory.Exists(_root.Combine("out", "denied")).ShouldBeFalse();
        File.Exists(_root.Combine("out", "c")).ShouldBeTrue();
    }

    private async Task<Task<WorkerExitRecord>> StartAsync(string worker, string? gates)
    {
        AgentCli.RequireOrSkip("claude");
        _server ??= await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();
        var json = new StringBuilder($$"""{ "fleet_name": "gates", "type": "dag", "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default" }, """);
        if (gates is not null)
        {
            json.Append($$""" "gates": {{gates}}, """);
        }

        json.Append($$""" "workers": [ { "id": "{{worker}}", "type": "code-run", "task": "Do the scripted work." } ] }""");
        var result = FleetValidator.Validate(json.ToString(), "fleet.json", _root.Path);
        var fleet = result.Fleet ?? throw new InvalidOperationException(string.Join('\n', result.Diagnostics));
        var spec = await WorkerPreparation.PrepareAsync(fleet, worker, 1, new WorkerRunOptions(_server.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
        spec.Argv.ShouldContain("--permission-prompt-tool");
        return RunAsync(spec);
    }

    private static async Task<WorkerExitRecord> RunAsync(WorkerLaunchSpec spec)
    {
        await Task.Yield();
        using var view = new StringWriter();
        try
        {
            return await WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, TextWriter.Synchronized(view)), Ct);
        }
        finally
        {
            TestContext.Current.TestOutputHelper?.WriteLine(view.ToString());
        }
    }

    private Task<IReadOnlyList<GateRequest>> NextRequestsAsync(int count) => GateFilesForTests.NextRequestsAsync(IterationDir, count);

    private Task AnswerAsync(string gateId, GateAnswer answer) => GateFilesForTests.AnswerAsync(IterationDir, gateId, answer);

    private Task<List<GateRecord>> GatesAsync(string worker) => GateFilesForTests.GatesAsync(IterationDir, worker);
}
