using System.Collections.Concurrent;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Processes;
using Fleet.Rehearsal;
using Fleet.Steering;
using Fleet.State;
using Fleet.Tests.Gates;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Tests.Rehearsal;
using Fleet.UseCases;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Steering;

/// <summary>
/// Real tmux, the real fleet shim (<c>fleet worker</c>) and the REAL claude against the rehearsal endpoint: keys sent
/// into a worker's window (tmux send-keys) steer it and answer its gates, and so do keys sent into a pane running
/// <c>fleet attach ROOT WORKER</c> for a worker in the background. The endpoint records the user text of each request.
/// </summary>
public sealed class SteerableWindowTests : IAsyncDisposable
{
    private const string Script = """
        { "rules": [
            { "worker": "lingerer", "turns": [
                { "type": "shell", "command": "sleep 20" },
                { "type": "shell", "command": "touch out/after-steer" },
                { "type": "text", "text": "Lingered." } ] },
            { "worker": "stepper", "turns": [
                { "type": "shell", "command": "sleep 3" },
                { "type": "shell", "command": "sleep 3" },
                { "type": "shell", "command": "touch out/after-steer" },
                { "type": "text", "text": "Stepped." } ] },
            { "worker": "pusher", "turns": [
                { "type": "shell", "command": "touch out/safe.txt" },
                { "type": "shell", "command": "prisma db push --accept-data-loss" },
                { "type": "shell", "command": "touch out/went-on" },
                { "type": "text", "text": "Pushed." } ] },
            { "worker": "sleeper", "turns": [
                { "type": "shell", "command": "python3 -c 'import time; time.sleep(90)'" },
                { "type": "text", "text": "Took the message." } ] },
            { "worker": "watched", "turns": [
                { "type": "shell", "command": "sleep 3" },
                { "type": "shell", "command": "prisma db push --accept-data-loss" },
                { "type": "shell", "command": "touch out/went-on" },
                { "type": "text", "text": "Watched." } ] } ] }
        """;

    private readonly TempDir _root = new("fleet-window-e2e-");
    private readonly ConcurrentQueue<RehearsalLogEntry> _requests = new();
    private readonly TmuxServer _terminal = new("tmux", "fleet-test-term-" + Guid.NewGuid().ToString("N")[..12], "/dev/null");
    private readonly string _socket = "fleet-test-" + Guid.NewGuid().ToString("N")[..12];
    private RehearsalServer? _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string IterationDir => _root.Combine("iterations", "1");

    private TmuxSession Session => new(new TmuxServer("tmux", _socket, "/dev/null"), TmuxSession.NameFor("window", _root.Path));

    public async ValueTask DisposeAsync()
    {
        await _terminal.KillServerAsync(CancellationToken.None);
        await Session.Server.KillServerAsync(CancellationToken.None);

        // A worker a failed test left running: neither tmux nor the test owns it, so it goes here with its agent.
        if (Directory.Exists(IterationDir))
        {
            foreach (var claimFile in Directory.EnumerateFiles(IterationDir, "*.run.json"))
            {
                var worker = Path.GetFileName(claimFile)[..^".run.json".Length];
                if (WorkerClaim.TryRead(IterationDir, worker) is { Exit: null } claim && claim.Shim.IsAlive)
                {
                    try
                    {
                        using var shim = System.Diagnostics.Process.GetProcessById(claim.ShimPid);
                        shim.Kill(entireProcessTree: true);
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                    }
                }
            }
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _root.Dispose();
    }

    [Fact]
    public async Task A_line_typed_in_a_workers_window_reaches_its_agent_as_fleet_say_would()
    {
        await SpawnInWindowAsync("stepper");
        await ShowsAsync(Window("stepper"), "[fleet] steer stepper: type a line + Enter");
        await WaitForLogAsync("stepper", "\"tool_use\"");

        await TypeAsync(Window("stepper"), "use pnpm, not npm");
        var record = await ExitRecordAsync("stepper");

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        var carrying = _requests.Where(r => r.Said?.Contains("use pnpm, not npm", StringComparison.Ordinal) == true).ToList();
        carrying.Count.ShouldBe(1, "the typed line reaches the model once");
        File.Exists(_root.Combine("out", "after-steer")).ShouldBeTrue("the worker went on with its script");
        var steered = Entries("stepper").Single(e => e.Type == JournalTypes.WorkerSteered);
        (steered.Reason, steered.Message).ShouldBe((SteerWorker.Say, "use pnpm, not npm"));
        var screen = await Session.CapturePaneAsync("stepper", Ct, history: true).DefaultTimeout();
        screen.ShouldContain("[fleet] sent (stepper steered 1×)");
        screen.ShouldContain("[fleet] a person says: use pnpm, not npm");
    }

    [Theory]
    [InlineData("d", GateKinds.Deny)]
    [InlineData("a", GateKinds.Allow)]
    public async Task A_single_key_in_the_window_answers_the_workers_gate_and_the_agent_goes_on(string key, string decision)
    {
        await SpawnInWindowAsync("pusher", """{ "allow": ["Bash(*)"] }""");
        var request = (await GateFilesForTests.NextRequestsAsync(IterationDir, 1)).Single();
        await ShowsAsync(Window("pusher"), $"[fleet] gate {request.Id} needs you: Bash: prisma db push --accept-data-loss — press a to approve once");

        await Session.Server.RunCheckedAsync(["send-keys", "-t", Window("pusher"), "-l", key], Ct).DefaultTimeout();
        var record = await ExitRecordAsync("pusher");

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        var gates = await GateFilesForTests.GatesAsync(IterationDir, "pusher");
        gates.Select(g => (g.Summary, g.Decision, g.DecidedBy)).ShouldBe([
            ("touch out/safe.txt", GateKinds.Allow, "rule"),
            ("prisma db push --accept-data-loss", decision, "person"),
            ("touch out/went-on", GateKinds.Allow, "rule")]);
        File.Exists(_root.Combine("out", "went-on")).ShouldBeTrue("the agent went on after the answer");
    }

    [Fact]
    public async Task Ctrl_C_in_a_workers_window_and_closing_it_leave_the_worker_running()
    {
        await SpawnInWindowAsync("sleeper");
        await ShowsAsync(Window("sleeper"), "[fleet] steer sleeper:");
        await WaitForLogAsync("sleeper", "time.sleep(90)");
        var claim = WorkerClaim.TryRead(IterationDir, "sleeper")!;
        var agent = new ProcessIdentity(claim.AgentPid!.Value, claim.AgentStartTime!.Value);
        var shim = new ProcessIdentity(claim.ShimPid, claim.ShimStartTime);

        await Session.Server.RunCheckedAsync(["send-keys", "-t", Window("sleeper"), "C-c"], Ct).DefaultTimeout();
        await ShowsAsync(Window("sleeper"), ConsoleInput.CtrlCHint);
        await Task.Delay(500, Ct);
        (agent.IsAlive, shim.IsAlive).ShouldBe((true, true), "Ctrl+C reached neither the shim nor its agent");
        (await Session.ListWindowsAsync(Ct).DefaultTimeout()).Single().PaneDead.ShouldBeFalse();
        (await Session.KillWindowAsync("sleeper", Ct).DefaultTimeout()).ShouldBeTrue();
        await Task.Delay(500, Ct);
        (agent.IsAlive, shim.IsAlive).ShouldBe((true, true), "closing the window stopped neither");

        await new SteerWorker(Host).SayAsync(_root.Path, "sleeper", "stop sleeping and finish", now: true, Ct).DefaultTimeout();
        var record = await ExitRecordAsync("sleeper");

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        record.Pid.ShouldBe(agent.Pid, "the agent was never restarted");
    }

    [Fact]
    public async Task Fleet_attach_in_a_tmux_pane_steers_a_background_worker_and_answers_its_gate_with_one_key()
    {
        var spec = await PrepareAsync("watched", """{ "allow": ["Bash(*)"] }""");
        var shimLog = Path.Combine(IterationDir, "watched.shim.log");
        await new BackgroundSpawner().SpawnAsync(new SpawnRequest("window", _root.Path, "watched", 1, [.. RepoPaths.FleetArgv, "worker", "--spec", spec], shimLog), Ct).DefaultTimeout();
        await WaitForLogAsync("watched", "sleep 3");

        // The person's terminal: a pane of another tmux server running `fleet attach ROOT WORKER`.
        await _terminal.RunCheckedAsync(["set-option", "-g", "remain-on-exit", "on", ";", "new-session", "-d", "-s", "person", "-x", "200", "-y", "50", "--", .. RepoPaths.FleetArgv, "attach", _root.Path, "watched"], Ct).DefaultTimeout();
        var person = new TmuxSession(_terminal, "person");
        await ShowsAsync("person:0", "[fleet] steer watched: type a line + Enter", person);
        await ShowsAsync("person:0", "[fleet] watched iteration 1:", person);
        await TypeAsync("person:0", "use pnpm, not npm", _terminal);
        await ShowsAsync("person:0", "[fleet] sent (watched steered 1×)", person);
        var request = (await GateFilesForTests.NextRequestsAsync(IterationDir, 1)).Single();
        await ShowsAsync("person:0", $"[fleet] gate {request.Id} needs you: Bash: prisma db push --accept-data-loss", person);
        await _terminal.RunCheckedAsync(["send-keys", "-t", "person:0", "-l", "d"], Ct).DefaultTimeout();
        var record = await ExitRecordAsync("watched");

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        _requests.ShouldContain(r => r.Said != null && r.Said.Contains("use pnpm, not npm", StringComparison.Ordinal));
        (await GateFilesForTests.GatesAsync(IterationDir, "watched")).Single(g => g.DecidedBy == "person").Decision.ShouldBe(GateKinds.Deny);
        File.Exists(_root.Combine("out", "went-on")).ShouldBeTrue();
        await ShowsAsync("person:0", "[fleet] watched has ended; attach closes", person);
        await Eventually.TrueAsync(() => person.ListWindowsAsync(Ct).Result.Single().PaneDead, "fleet attach ended with the worker");
    }

    [Fact]
    public async Task Lines_piped_into_fleet_attach_are_messages_and_commands_for_the_worker()
    {
        // A 20 s tool call: the worker outlives the start of `fleet attach` (a JIT start takes seconds on a loaded
        // machine), so the piped lines always find it running.
        var spec = await PrepareAsync("lingerer");
        await new BackgroundSpawner().SpawnAsync(new SpawnRequest("window", _root.Path, "lingerer", 1, [.. RepoPaths.FleetArgv, "worker", "--spec", spec], Path.Combine(IterationDir, "lingerer.shim.log")), Ct).DefaultTimeout();
        await WaitForLogAsync("lingerer", "\"tool_use\"");
        var start = RepoPaths.FleetProcess(_root.Path, "attach", _root.Path, "lingerer");
        start.RedirectStandardInput = true;
        using var attach = System.Diagnostics.Process.Start(start)!;
        var stdout = attach.StandardOutput.ReadToEndAsync(Ct);
        var stderr = attach.StandardError.ReadToEndAsync(Ct);

        await attach.StandardInput.WriteLineAsync("/approve");
        await attach.StandardInput.WriteLineAsync("use pnpm, not npm");
        attach.StandardInput.Close();
        await attach.WaitForExitAsync(Ct).SlowTimeout();
        var record = await ExitRecordAsync("lingerer");

        (attach.ExitCode, await stderr).ShouldBe((0, string.Empty));
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        _requests.Count(r => r.Said?.Contains("use pnpm, not npm", StringComparison.Ordinal) == true).ShouldBe(1);
        var view = await stdout;
        view.ShouldStartWith(ConsoleInput.Header("lingerer", keys: false, canQuit: true));
        view.ShouldContain("[fleet] /approve: no gate of this worker is waiting");
        view.ShouldContain("[fleet] sent (lingerer steered 1×)");
        view.ShouldContain("[fleet] a person says: use pnpm, not npm");
        view.ShouldContain("[fleet] lingerer has ended; attach closes");
    }

    [Fact]
    public async Task Fleet_attach_for_a_worker_that_is_not_running_exits_2_saying_so()
    {
        await PrepareAsync("stepper");
        using var console = new TestConsole(_root.Path, new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")!, ["FLEET_HOME"] = _root.Combine("home") });

        var code = await Fleet.Cli.FleetApp.RunAsync(["attach", _root.Path, "nobody"], console, Ct).DefaultTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain("no worker \"nobody\" has run in");
    }

    private FleetHost Host => new(Environment.GetEnvironmentVariable, _root.Path, TimeProvider.System);

    private string Window(string worker) => $"{Session.Target}:{worker}";

    private async Task SpawnInWindowAsync(string worker, string? gates = null)
    {
        var spec = await PrepareAsync(worker, gates);
        var request = new SpawnRequest("window", _root.Path, worker, 1, [.. RepoPaths.FleetArgv, "worker", "--spec", spec], Path.Combine(IterationDir, worker + ".shim.log"));
        await new TmuxSpawner(_socket, "tmux", "/dev/null").SpawnAsync(request, Ct).DefaultTimeout();
    }

    /// <summary>A fleet of one claude worker in rehearsal, journaled as started (as the orchestrator does); returns its spec file.</summary>
    private async Task<string> PrepareAsync(string worker, string? gates = null)
    {
        AgentCli.RequireOrSkip("claude");
        Directory.CreateDirectory(_root.Combine("out"));
        _server ??= await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script), Log = _requests.Enqueue }, Ct).DefaultTimeout();
        var json = $$"""
            { "fleet_name": "window", "type": "dag", "config": { "provider": "claude", "model": "sonnet", "permission_mode": "default" },
              "gates": {{gates ?? """{ "allow": ["Bash(*)"] }"""}},
              "workers": [ { "id": "{{worker}}", "type": "code-run", "task": "Do the scripted work." } ] }
            """;
        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);
        var fleet = result.Fleet ?? throw new InvalidOperationException(string.Join('\n', result.Diagnostics));
        var layout = new FleetLayout(_root.Path);
        await File.WriteAllTextAsync(layout.FleetFile, json, Ct);
        await FleetRuns.BeginAsync(layout, "window", "dag", "tmux", rehearse: true, TimeProvider.System, Ct);
        await new Journal(layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = worker, Iteration = 1 }, Ct);
        var spec = await WorkerPreparation.PrepareAsync(fleet, worker, 1, new WorkerRunOptions(_server.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
        var file = _root.Combine("specs", worker + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await spec.WriteAsync(file, Ct);
        return file;
    }

    private async Task TypeAsync(string target, string line, TmuxServer? server = null)
    {
        var tmux = server ?? Session.Server;
        await tmux.RunCheckedAsync(["send-keys", "-t", target, "-l", line], Ct).DefaultTimeout();
        await tmux.RunCheckedAsync(["send-keys", "-t", target, "Enter"], Ct).DefaultTimeout();
    }

    private async Task ShowsAsync(string target, string text, TmuxSession? session = null)
    {
        var tmux = (session ?? Session).Server;
        var last = string.Empty;
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (DateTime.UtcNow < deadline)
        {
            // Joined (-J) so a line wrapped at the pane's width still matches.
            last = (await tmux.RunAsync(["capture-pane", "-p", "-J", "-S", "-", "-t", target], Ct).DefaultTimeout()).Stdout;
            if (last.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100, Ct);
        }

        throw new TimeoutException($"{target} never showed \"{text}\"; it showed:\n{last}");
    }

    private async Task<WorkerExitRecord> ExitRecordAsync(string worker)
    {
        var path = Path.Combine(IterationDir, worker + ".exit.json");
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (!File.Exists(path))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{worker} never ended; its window showed:\n{(await Session.Server.RunAsync(["capture-pane", "-p", "-J", "-S", "-", "-t", Window(worker)], Ct)).Stdout}");
            }

            await Task.Delay(100, Ct);
        }

        return await WorkerExitRecord.ReadAsync(path, Ct);
    }

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

    private List<JournalEntry> Entries(string worker) =>
        [.. Journal.Read(new FleetLayout(_root.Path).JournalFile).Where(e => e.Worker == worker)];
}
