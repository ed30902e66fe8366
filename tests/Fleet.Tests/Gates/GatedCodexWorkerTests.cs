using System.Collections.Concurrent;
using System.Text;
using Fleet.Gates;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Gates;

/// <summary>
/// The REAL codex under <c>codex app-server</c> and fleet's gates, against the rehearsal endpoint: the shim starts
/// the thread and the turn, answers codex's approval requests by rule or waits for a person's answer file, written
/// here exactly as <c>fleet approve|deny</c> writes it. What the model receives is proved by the endpoint's record of
/// each request (the user text it brings and the script position it was read at) and by its script: a rule that plays
/// only when the prompt contains the text.
/// </summary>
public sealed class GatedCodexWorkerTests : IAsyncDisposable
{
    private const string Script = """
        { "rules": [
            { "worker": "pusher", "turns": [
                { "type": "shell", "command": "touch out/safe.txt" },
                { "type": "shell", "command": "prisma db push --accept-data-loss" },
                { "type": "text", "text": "Went on after the gate." } ] },
            { "worker": "steered", "when_prompt_contains": "stop now", "turns": [
                { "type": "text", "text": "Stopped as asked." } ] },
            { "worker": "steered", "turns": [
                { "type": "shell", "command": "git clean -fdx out" },
                { "type": "shell", "command": "sleep 30" },
                { "type": "text", "text": "Slept." } ] },
            { "worker": "toucher", "turns": [
                { "type": "shell", "command": "touch out/a", "usage": { "input_tokens": 1000, "output_tokens": 50 } },
                { "type": "text", "text": "Touched.", "usage": { "input_tokens": 2000, "output_tokens": 30 } } ] } ] }
        """;

    private readonly TempDir _root = new("fleet-gates-codex-");
    private readonly ConcurrentQueue<RehearsalLogEntry> _requests = new();
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

    private string IterationDir(int iteration = 1) => _root.Combine("iterations", iteration.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_destructive_codex_command_under_a_wildcard_allow_rule_reaches_the_inbox_and_the_denial_message_reaches_the_model()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var (spec, run) = await StartAsync("pusher", """{ "allow": ["Bash(*)"] }""", 1);
        spec.Argv[1].ShouldBe("app-server");

        var request = (await NextRequestsAsync(1)).Single();
        request.Tool.ShouldBe("Bash");
        request.Summary.ShouldBe("prisma db push --accept-data-loss");
        request.Reason.ShouldContain("--accept-data-loss");
        await Task.Delay(300, Ct);
        run.IsCompleted.ShouldBeFalse("the worker waits for a person");
        await AnswerAsync(request.Id, new GateAnswer("deny", "No data loss, please.", false, null, "tester", DateTimeOffset.UtcNow));
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.Exists(_root.Combine("out", "safe.txt")).ShouldBeTrue();
        var log = await File.ReadAllTextAsync(Path.Combine(IterationDir(), "pusher.log"), Ct);
        var heard = _requests.Single(r => r.Said?.Contains("No data loss, please.", StringComparison.Ordinal) == true);
        heard.Position.ShouldBe(2, "the denial's message is in the request after the denied call, and the script goes on past it");
        log.ShouldContain("Went on after the gate.");
        var gates = await GatesAsync("pusher");
        gates.Select(g => (g.Summary, g.Decision, g.DecidedBy, g.Rule, g.Message)).ShouldBe([
            ("touch out/safe.txt", "allow", "rule", "Bash(*)", null),
            ("prisma db push --accept-data-loss", "deny", "person", null, "No data loss, please.")]);
    }

    [Fact]
    public async Task A_codex_command_no_rule_matches_runs_in_its_sandbox_unasked_and_is_recorded_as_allowed_by_the_sandbox()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var (_, run) = await StartAsync("toucher", null, 1);
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.Exists(_root.Combine("out", "a")).ShouldBeTrue();
        Directory.Exists(GatePaths.Dir(IterationDir())).ShouldBeFalse("no request was written");
        (await GatesAsync("toucher")).Select(g => (g.Summary, g.Decision, g.DecidedBy, g.Rule)).ShouldBe([("touch out/a", "allow", "rule", "sandbox")]);
    }

    [Fact]
    public async Task An_allowed_codex_command_never_asks_and_the_next_iteration_resumes_the_thread_and_costs_only_its_own_tokens()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var (_, run) = await StartAsync("toucher", """{ "allow": ["Bash(touch:*)"] }""", 1);
        var first = await run.SlowTimeout();

        first.Outcome.ShouldBe(WorkerOutcome.Succeeded, first.Error);
        File.Exists(_root.Combine("out", "a")).ShouldBeTrue();
        Directory.Exists(GatePaths.Dir(IterationDir())).ShouldBeFalse("no request was written");
        (await GatesAsync("toucher")).Select(g => (g.Summary, g.Decision, g.DecidedBy)).ShouldBe([("touch out/a", "allow", "rule")]);
        first.SessionId.ShouldNotBeNull();
        (first.InputTokens, first.OutputTokens).ShouldBe((3000, 80));
        first.CostUsd.ShouldBe(3000 * 1.25m / 1_000_000 + 80 * 10.00m / 1_000_000);

        var (spec, again) = await StartAsync("toucher", """{ "allow": ["Bash(touch:*)"] }""", 2);
        spec.CodexSession!.ResumeThread.ShouldBe(first.SessionId);
        var second = await again.SlowTimeout();

        second.Outcome.ShouldBe(WorkerOutcome.Succeeded, second.Error);
        second.SessionId.ShouldBe(first.SessionId);
        second.CumulativeUsage!.InputTokens.ShouldBeGreaterThan(first.CumulativeUsage!.InputTokens);
        second.InputTokens.ShouldBe(second.CumulativeUsage.UncachedInputTokens - first.CumulativeUsage.UncachedInputTokens);
    }

    [Fact]
    public async Task Fleet_say_reaches_codex_mid_turn_through_turn_steer_and_now_interrupts_a_long_command_in_the_same_process_and_thread()
    {
        Directory.CreateDirectory(_root.Combine("out"));
        var (spec, run) = await StartAsync("steered", """{ "allow": ["Bash(sleep:*)"] }""", 1);
        // The first command (destructive) waits at its gate: the turn is running, so the message goes in with turn/steer.
        var gate = (await NextRequestsAsync(1)).Single();
        var claim = WorkerClaim.TryRead(IterationDir(), "steered")!;
        var token = claim.Token!;
        var said = await SteerLink.SendAsync(token, new SteerRequest { Say = "Please use pnpm, not npm." }, Ct).DefaultTimeout();
        said.ShouldNotBeNull();
        said.Ok.ShouldBeTrue(said.Error);
        await AnswerAsync(gate.Id, new GateAnswer("allow", null, false, null, "tester", DateTimeOffset.UtcNow));

        // The script goes on where it was with `sleep 30` (allowed by rule); --now stops it and the message is the next turn.
        var log = Path.Combine(IterationDir(), "steered.log");
        await WaitForAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("'sleep 30'", StringComparison.Ordinal));
        var steered = _requests.Single(r => r.Said?.Contains("Please use pnpm, not npm.", StringComparison.Ordinal) == true);
        steered.Position.ShouldBe(1, "the message steered into the turn comes after the first command, and the script goes on from there");
        var now = await SteerLink.SendAsync(token, new SteerRequest { Say = "stop now and report", Now = true }, Ct).DefaultTimeout();
        now.ShouldNotBeNull();
        now.Ok.ShouldBeTrue(now.Error);
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        var text = await File.ReadAllTextAsync(log, Ct);
        text.ShouldContain("Stopped as asked.");
        text.ShouldNotContain("Slept.");
        _requests.Single(r => r.Said?.Contains("stop now and report", StringComparison.Ordinal) == true).Position.ShouldBe(0, "after an interrupt the message is a new turn");
        var lines = await File.ReadAllLinesAsync(log, Ct);
        lines.Count(l => l.Contains("\"method\":\"thread/started\"", StringComparison.Ordinal)).ShouldBe(1, "one thread");
        lines.Count(l => l.Contains("\"method\":\"turn/started\"", StringComparison.Ordinal)).ShouldBe(2, "the brief's turn, then the message's");
        record.Pid.ShouldBe(claim.AgentPid!.Value, "the agent the message reached is the one that ended the run");
        spec.Argv[1].ShouldBe("app-server");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the condition did not come true");
            }

            await Task.Delay(50, Ct);
        }
    }

    private async Task<(WorkerLaunchSpec Spec, Task<WorkerExitRecord> Run)> StartAsync(string worker, string? gates, int iteration)
    {
        AgentCli.RequireOrSkip("codex");
        _server ??= await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script), Log = _requests.Enqueue }, Ct).DefaultTimeout();
        var json = new StringBuilder($$"""{ "fleet_name": "gates", "type": "dag", "config": { "provider": "codex", "model": "gpt-5-codex" }, """);
        if (gates is not null)
        {
            json.Append($$""" "gates": {{gates}}, """);
        }

        json.Append($$""" "workers": [ { "id": "{{worker}}", "type": "code-run", "task": "Do the scripted work." } ] }""");
        var result = FleetValidator.Validate(json.ToString(), "fleet.json", _root.Path);
        var fleet = result.Fleet ?? throw new InvalidOperationException(string.Join('\n', result.Diagnostics));
        var spec = await WorkerPreparation.PrepareAsync(fleet, worker, iteration, new WorkerRunOptions(_server.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
        spec.CodexSession.ShouldNotBeNull();
        return (spec, RunAsync(spec));
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

    private Task<IReadOnlyList<GateRequest>> NextRequestsAsync(int count) => GateFilesForTests.NextRequestsAsync(IterationDir(), count);

    private Task AnswerAsync(string gateId, GateAnswer answer) => GateFilesForTests.AnswerAsync(IterationDir(), gateId, answer);

    private Task<List<GateRecord>> GatesAsync(string worker, int iteration = 1) => GateFilesForTests.GatesAsync(IterationDir(iteration), worker);
}
