using System.Collections.Concurrent;
using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.UseCases;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

/// <summary>
/// The REAL claude, steered: a shim runs it against the rehearsal endpoint and <see cref="SteerWorker"/> (what
/// <c>fleet say</c>/<c>fleet interrupt</c> run) reaches it through the shim's socket, with no orchestrator running.
/// The endpoint records the user text of every request it receives, so the tests see what reached the model.
/// Claude 2.1.332 gives a message that arrives mid-turn to a current model (the <c>sonnet</c> alias) as a text block
/// beside the next tool result, and to an older one (<c>claude-sonnet-4-5</c>) as a reminder inside that tool result.
/// </summary>
public sealed class SteeredClaudeWorkerTests : IAsyncDisposable
{
    private const string Script = """
        { "rules": [
            { "worker": "stepper", "turns": [
                { "type": "shell", "command": "sleep 2" },
                { "type": "shell", "command": "sleep 2" },
                { "type": "shell", "command": "touch out/after-steer" },
                { "type": "text", "text": "Stepped." } ] },
            { "worker": "sleeper", "turns": [
                { "type": "shell", "command": "python3 -c 'import time; time.sleep(90)'" },
                { "type": "text", "text": "Took the message." } ] } ] }
        """;

    private readonly TempDir _root = new("fleet-steer-e2e-");
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

    private SteerWorker Steer => new(new FleetHost(Environment.GetEnvironmentVariable, _root.Path, TimeProvider.System));

    [Theory]
    [InlineData("sonnet")]
    [InlineData("claude-sonnet-4-5")]
    public async Task A_message_said_during_a_multi_step_script_reaches_the_model_at_the_next_tool_boundary_and_the_worker_goes_on(string model)
    {
        var run = await StartAsync("stepper", model);
        await WaitForLogAsync("stepper", "\"tool_use\"");
        var claim = WorkerClaim.TryRead(IterationDir, "stepper")!;

        var said = await Steer.SayAsync(_root.Path, "stepper", "use pnpm, not npm", now: false, Ct).DefaultTimeout();
        var record = await run.SlowTimeout();

        said.Steers.ShouldBe(1);
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        var carrying = _requests.Where(r => r.Said?.Contains("use pnpm, not npm", StringComparison.Ordinal) == true).ToList();
        carrying.Count.ShouldBe(1, "the message reaches the model once, in the request after the next tool result");
        (carrying[0].Position ?? 0).ShouldBeGreaterThan(0, "mid-turn: the script went on instead of starting again");
        File.Exists(_root.Combine("out", "after-steer")).ShouldBeTrue("the worker went on with its script");
        SameAgent(claim, record, "stepper");
        var steered = Entries("stepper").Single(e => e.Type == JournalTypes.WorkerSteered);
        (steered.Reason, steered.Message, steered.Iteration).ShouldBe((SteerWorker.Say, "use pnpm, not npm", 1));
        FleetRuns.Load(new FleetLayout(_root.Path)).Worker("stepper", 1).Steers.ShouldBe(1);
    }

    [Fact]
    public async Task Say_now_interrupts_a_long_tool_call_and_the_message_is_the_next_user_turn_of_the_same_agent()
    {
        var run = await StartAsync("sleeper");
        await WaitForLogAsync("sleeper", "time.sleep(90)");
        var claim = WorkerClaim.TryRead(IterationDir, "sleeper")!;

        await Steer.SayAsync(_root.Path, "sleeper", "stop sleeping, the API moved", now: true, Ct).DefaultTimeout();
        var record = await run.SlowTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        (record.EndedAt - record.StartedAt).ShouldBeLessThan(TimeSpan.FromSeconds(80), "the 90 s tool call was cut short");
        var log = File.ReadAllText(Path.Combine(IterationDir, "sleeper.log"));
        log.ShouldContain("[Request interrupted by user for tool use]");
        var carrying = _requests.Single(r => r.Said?.Contains("stop sleeping, the API moved", StringComparison.Ordinal) == true);
        carrying.Said!.ShouldContain("[Request interrupted by user for tool use]", Case.Sensitive, "the message follows the interrupt as the next user turn");
        SameAgent(claim, record, "sleeper");
        Entries("sleeper").Single(e => e.Type == JournalTypes.WorkerSteered).Reason.ShouldBe(SteerWorker.SayNow);
    }

    [Fact]
    public async Task An_interrupt_alone_leaves_the_agent_waiting_for_a_message_and_the_message_lets_it_finish()
    {
        var run = await StartAsync("sleeper");
        await WaitForLogAsync("sleeper", "time.sleep(90)");
        var claim = WorkerClaim.TryRead(IterationDir, "sleeper")!;

        var interrupted = await Steer.InterruptAsync(_root.Path, "sleeper", Ct).DefaultTimeout();
        await WaitForLogAsync("sleeper", "\"type\":\"result\"");
        await Task.Delay(1000, Ct);
        run.IsCompleted.ShouldBeFalse("an interrupted turn does not end the worker: it waits for `fleet say`");
        var said = await Steer.SayAsync(_root.Path, "sleeper", "now finish", now: false, Ct).DefaultTimeout();
        var record = await run.SlowTimeout();

        (interrupted.Action, said.Steers).ShouldBe((SteerWorker.Interrupt, 2));
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        _requests.ShouldContain(r => r.Said != null && r.Said.Contains("now finish", StringComparison.Ordinal));
        SameAgent(claim, record, "sleeper");
    }

    [Fact]
    public async Task A_worker_that_has_ended_is_not_steered_and_the_refusal_names_its_state()
    {
        var layout = new FleetLayout(_root.Path);
        await File.WriteAllTextAsync(layout.FleetFile, "{}", Ct);
        await FleetRuns.BeginAsync(layout, "steer", "dag", "background", rehearse: true, TimeProvider.System, Ct);
        var journal = new Journal(layout.JournalFile, TimeProvider.System);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = "done", Iteration = 1 }, Ct);
        await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerEnded, Worker = "done", Iteration = 1, Outcome = "succeeded" }, Ct);

        var ended = await Should.ThrowAsync<FleetOperationException>(() => Steer.SayAsync(_root.Path, "done", "hello", now: false, Ct));
        var unknown = await Should.ThrowAsync<FleetOperationException>(() => Steer.InterruptAsync(_root.Path, "nobody", Ct));
        var empty = await Should.ThrowAsync<FleetOperationException>(() => Steer.SayAsync(_root.Path, "done", "  ", now: false, Ct));

        (ended.ExitCode, ended.Message).ShouldBe((ExitCodes.Usage, "worker done is not running: it is succeeded in iteration 1"));
        unknown.Message.ShouldContain("no worker \"nobody\"");
        empty.ExitCode.ShouldBe(ExitCodes.Usage);
        Entries("done").ShouldNotContain(e => e.Type == JournalTypes.WorkerSteered);
    }

    private string IterationDir => _root.Combine("iterations", "1");

    private void SameAgent(WorkerClaim claim, WorkerExitRecord record, string worker)
    {
        record.Pid.ShouldBe(claim.AgentPid!.Value, "the agent was never restarted");
        var sessions = File.ReadLines(Path.Combine(IterationDir, worker + ".log"))
            .Where(l => l.Contains("\"subtype\":\"init\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("session_id").GetString())
            .Distinct()
            .ToList();
        sessions.ShouldBe([record.SessionId]);
    }

    private List<JournalEntry> Entries(string worker) =>
        [.. Fleet.State.Journal.Read(new FleetLayout(_root.Path).JournalFile).Where(e => e.Worker == worker)];

    private async Task<Task<WorkerExitRecord>> StartAsync(string worker, string model = "sonnet")
    {
        AgentCli.RequireOrSkip("claude");
        Directory.CreateDirectory(_root.Combine("out"));
        _server ??= await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script), Log = _requests.Enqueue }, Ct).DefaultTimeout();
        var json = $$"""
            { "fleet_name": "steer", "type": "dag", "config": { "provider": "claude", "model": "{{model}}", "permission_mode": "default" },
              "gates": { "allow": ["Bash(*)"] },
              "workers": [ { "id": "{{worker}}", "type": "code-run", "task": "Do the scripted work." } ] }
            """;
        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);
        var fleet = result.Fleet ?? throw new InvalidOperationException(string.Join('\n', result.Diagnostics));
        var layout = new FleetLayout(_root.Path);
        await File.WriteAllTextAsync(layout.FleetFile, json, Ct);
        await FleetRuns.BeginAsync(layout, "steer", "dag", "background", rehearse: true, TimeProvider.System, Ct);
        await new Journal(layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = worker, Iteration = 1 }, Ct);
        var spec = await WorkerPreparation.PrepareAsync(fleet, worker, 1, new WorkerRunOptions(_server.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
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

    /// <summary>Waits until the worker's raw stream holds <paramref name="text"/> (the test's own bounded poll).</summary>
    private async Task WaitForLogAsync(string worker, string text)
    {
        var path = Path.Combine(IterationDir, worker + ".log");
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path) && (await File.ReadAllTextAsync(path, Ct)).Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50, Ct);
        }

        throw new TimeoutException($"{path} never showed {text}");
    }
}
