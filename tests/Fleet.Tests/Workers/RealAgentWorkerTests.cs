using System.Text;
using Fleet.Processes;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

/// <summary>
/// One worker made real: fleet prepares the launch (argv, brief, environment, resume), the shim runs the
/// REAL claude or codex against the rehearsal endpoint, and exit.json records the outcome.
/// </summary>
public sealed class RealAgentWorkerTests : IAsyncDisposable
{
    private const string Script = """
        { "rules": [
            { "worker": "writer", "iteration": 1, "turns": [
                { "type": "write_file", "path": "out/hello.txt", "content": "hello\n", "usage": { "input_tokens": 1000, "output_tokens": 100 } },
                { "type": "text", "text": "Wrote it.", "usage": { "input_tokens": 1000, "output_tokens": 100 } } ] },
            { "worker": "writer", "iteration": 2, "turns": [
                { "type": "text", "text": "Nothing left to do.", "usage": { "input_tokens": 3000, "output_tokens": 50 } } ] },
            { "worker": "shell", "iteration": 1, "turns": [
                { "type": "shell", "command": "mkdir -p out && echo built > out/built.txt", "usage": { "input_tokens": 1000, "output_tokens": 100 } },
                { "type": "text", "text": "Built.", "usage": { "input_tokens": 1000, "output_tokens": 100 } } ] },
            { "worker": "shell", "iteration": 2, "turns": [
                { "type": "text", "text": "Checked.", "usage": { "input_tokens": 3000, "output_tokens": 50 } } ] },
            { "worker": "rejected", "turns": [ { "type": "fail", "status": 400, "message": "rehearsal: prompt rejected by the script" } ] },
            { "worker": "spender", "turns": [
                { "type": "write_file", "path": "a.txt", "content": "a\n", "usage": { "input_tokens": 200000, "output_tokens": 10000 } },
                { "type": "write_file", "path": "b.txt", "content": "b\n" },
                { "type": "text", "text": "Done." } ] },
            { "worker": "sleeper", "turns": [
                { "type": "shell", "command": "sleep 60" },
                { "type": "text", "text": "Slept." } ] } ] }
        """;

    private readonly TempDir _root = new("fleet-worker-e2e-");
    private RehearsalServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _root.Dispose();
    }

    [Fact]
    public async Task A_claude_worker_writes_a_file_and_exit_json_holds_its_session_and_the_scripted_cost()
    {
        var fleet = await FleetAsync("claude", ("writer", null));

        var record = await RunAsync(fleet, "writer", 1);

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.ReadAllText(_root.Combine("out", "hello.txt")).ShouldBe("hello\n");
        Guid.TryParse(record.SessionId, out _).ShouldBeTrue();
        // claude-sonnet-4-5: $3 in, $15 out per million tokens; 2 calls of 1000 in + 100 out.
        record.CostUsd!.Value.ShouldBe(2 * ((1000 * 3m) + (100 * 15m)) / 1_000_000m, Cents);
        var exitJson = await WorkerExitRecord.ReadAsync(_root.Combine("iterations", "1", "writer.exit.json"), Ct);
        exitJson.SessionId.ShouldBe(record.SessionId);
        File.ReadAllText(_root.Combine("iterations", "1", "writer.log")).ShouldContain("\"type\":\"result\"");
    }

    [Fact]
    public async Task The_second_iteration_resumes_the_same_claude_session_and_appends_to_its_transcript()
    {
        var fleet = await FleetAsync("claude", ("writer", null));
        var first = await RunAsync(fleet, "writer", 1);
        var transcript = Directory.GetFiles(_root.Combine(".fleet", "rehearsal", "claude-config", "projects"), $"{first.SessionId}.jsonl", SearchOption.AllDirectories).Single();
        var linesBefore = File.ReadAllLines(transcript).Length;

        var spec = await WorkerPreparation.PrepareAsync(fleet, "writer", 2, Options, null, Ct);
        var second = await RunAsync(spec);

        spec.Argv.ShouldContain("--resume");
        spec.Argv[spec.Argv.ToList().IndexOf("--resume") + 1].ShouldBe(first.SessionId);
        second.Outcome.ShouldBe(WorkerOutcome.Succeeded, second.Error);
        second.SessionId.ShouldBe(first.SessionId);
        File.ReadAllLines(transcript).Length.ShouldBeGreaterThan(linesBefore);
        Directory.GetFiles(_root.Combine(".fleet", "rehearsal", "claude-config", "projects"), "*.jsonl", SearchOption.AllDirectories).Length.ShouldBe(1);
        second.CostUsd!.Value.ShouldBe(((3000 * 3m) + (50 * 15m)) / 1_000_000m, Cents);
    }

    [Fact]
    public async Task A_codex_worker_runs_a_shell_command_in_workspace_write_and_its_cost_comes_from_the_usage_delta()
    {
        var fleet = await FleetAsync("codex", ("shell", null));

        var first = await RunAsync(fleet, "shell", 1);
        first.Outcome.ShouldBe(WorkerOutcome.Succeeded, first.Error);
        File.ReadAllText(_root.Combine("out", "built.txt")).ShouldBe("built\n");
        // gpt-5-codex: $1.25 in, $10 out per million tokens.
        first.CostUsd!.Value.ShouldBe(((2000 * 1.25m) + (200 * 10m)) / 1_000_000m, Cents);

        var second = await RunAsync(fleet, "shell", 2);

        second.Outcome.ShouldBe(WorkerOutcome.Succeeded, second.Error);
        second.SessionId.ShouldBe(first.SessionId);
        second.CumulativeUsage!.InputTokens.ShouldBeGreaterThan(first.CumulativeUsage!.InputTokens);
        second.CostUsd!.Value.ShouldBe(((3000 * 1.25m) + (50 * 10m)) / 1_000_000m, Cents);
    }

    [Fact]
    public async Task An_API_400_fails_the_worker_with_the_error_text()
    {
        var fleet = await FleetAsync("claude", ("rejected", null));

        var record = await RunAsync(fleet, "rejected", 1);

        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.Reason.ShouldBe("api error");
        record.Error.ShouldNotBeNull().ShouldContain("rehearsal: prompt rejected by the script");
        record.ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task A_codex_API_400_fails_the_worker_with_the_error_text()
    {
        var fleet = await FleetAsync("codex", ("rejected", null));

        var record = await RunAsync(fleet, "rejected", 1);

        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.Error.ShouldNotBeNull().ShouldContain("rehearsal: prompt rejected by the script");
    }

    [Fact]
    public async Task Exceeding_the_budget_fails_the_worker_with_reason_max_budget()
    {
        var fleet = await FleetAsync("claude", ("spender", 0.01m));

        var record = await RunAsync(fleet, "spender", 1);

        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.Reason.ShouldBe("max budget");
        record.ResultKind.ShouldBe("error_max_budget_usd");
        File.Exists(_root.Combine("b.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task An_agent_killed_by_a_signal_is_recorded_with_the_signal()
    {
        var fleet = await FleetAsync("codex", ("sleeper", null));
        var spec = await WorkerPreparation.PrepareAsync(fleet, "sleeper", 1, Options, null, Ct);
        var run = WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, null), Ct);

        // The agent leads its own process group; its claim names it (codex app-server's argv holds no prompt to find it by).
        var pid = await WaitForAgentAsync(Path.Combine(_root.Path, "iterations", "1"), "sleeper");
        ProcessGroup.Signal(pid, UnixSignal.SIGKILL).ShouldBe(SignalResult.Delivered);
        var record = await run.SlowTimeout();

        record.Signal.ShouldBe("SIGKILL");
        record.Outcome.ShouldBe(WorkerOutcome.Killed);
        (await WorkerExitRecord.ReadAsync(_root.Combine("iterations", "1", "sleeper.exit.json"), Ct)).Signal.ShouldBe("SIGKILL");
    }

    // claude prices in JavaScript doubles (0.009000000000000001): equal to a millionth of a cent.
    private const decimal Cents = 0.00000001m;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WorkerRunOptions Options => new(_server!.BaseUrl, ToolSearchDirs: [RepoPaths.Root]);

    private async Task<ResolvedFleet> FleetAsync(string provider, params (string Id, decimal? Budget)[] workers)
    {
        AgentCli.RequireOrSkip(provider);
        _server ??= await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();
        var model = provider == "claude" ? "claude-sonnet-4-5" : "gpt-5-codex";
        var json = new StringBuilder($$"""{ "fleet_name": "e2e", "type": "dag", "config": { "provider": "{{provider}}", "model": "{{model}}" }, "workers": [""");
        json.AppendJoin(", ", workers.Select(w => w.Budget is { } b
            ? $$"""{ "id": "{{w.Id}}", "type": "code-run", "task": "Do the scripted work.", "max_budget_per_iter": {{b.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }"""
            : $$"""{ "id": "{{w.Id}}", "type": "code-run", "task": "Do the scripted work." }"""));
        json.Append("] }");
        var result = FleetValidator.Validate(json.ToString(), "fleet.json", _root.Path);
        return result.Fleet ?? throw new InvalidOperationException(string.Join('\n', result.Diagnostics));
    }

    private async Task<WorkerExitRecord> RunAsync(ResolvedFleet fleet, string worker, int iteration) =>
        await RunAsync(await WorkerPreparation.PrepareAsync(fleet, worker, iteration, Options, null, Ct));

    private static async Task<WorkerExitRecord> RunAsync(WorkerLaunchSpec spec)
    {
        using var view = new StringWriter();
        var record = await WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, view), Ct).SlowTimeout();
        TestContext.Current.TestOutputHelper?.WriteLine(view.ToString());
        return record;
    }

    private static async Task<int> WaitForAgentAsync(string iterationDir, string worker)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        int? pid;
        while ((pid = WorkerClaim.TryRead(iterationDir, worker)?.AgentPid) is null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no agent started for {worker}");
            }

            await Task.Delay(50, Ct);
        }

        return pid.Value;
    }
}
