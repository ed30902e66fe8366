using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.UseCases;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

/// <summary>
/// The benchmark behind <c>scripts/bench-steer.sh</c> (it runs only when <c>FLEET_BENCH_STEER</c> names a message
/// count): the real claude and the real codex, each a worker of one rehearsed fleet, are told messages one at a time
/// with the real <c>fleet say</c> process, taking turns, in two situations: mid-turn (the agent works through
/// one-second tool calls and the message comes at a random point of one) and between turns (the agent's turn was
/// interrupted and it waits). Each message is timed from the start of <c>fleet say</c> to the shim's hand-over it
/// reports (<c>handed_at</c>) and on to the endpoint's record of the model request that carries it. A message that
/// never reaches the model fails the run, and the fleet's folder is kept as evidence.
/// </summary>
public sealed partial class SteerLatencyBenchmark : IAsyncDisposable
{
    private const string Fleet = "bench";

    private readonly TempDir _root = new("fleet-steer-bench-");
    private readonly ConcurrentDictionary<string, RehearsalLogEntry> _carried = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RehearsalLogEntry> _requests = new();
    private readonly List<(Task<WorkerExitRecord> Run, CancellationTokenSource Stop)> _running = [];
    private RehearsalServer? _server;
    private bool _keep;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string IterationDir => _root.Combine("iterations", "1");

    public async ValueTask DisposeAsync()
    {
        foreach (var (run, stop) in _running)
        {
            await stop.CancelAsync();
            await Task.WhenAny(run, Task.Delay(TestTimeouts.Slow, CancellationToken.None));
            stop.Dispose();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (!_keep)
        {
            _root.Dispose();
        }
    }

    [Fact]
    public async Task Every_message_said_to_claude_and_codex_mid_turn_and_between_turns_reaches_the_model_and_the_latencies_are_reported()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("FLEET_BENCH_STEER"), CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            Assert.Skip("SKIPPED: a benchmark; scripts/bench-steer.sh runs it (FLEET_BENCH_STEER=N).");
        }

        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        var mid = Steps("sleep 1", (count * 20) + 50);
        // claude's Bash tool refuses a plain long sleep at once, so the long call is python's.
        var idle = Steps("python3 -c 'import time; time.sleep(60)'", (count * 2) + 20);
        var script = $$"""
            { "rules": [
                { "worker": "claude-mid", "turns": [ {{mid}} ] }, { "worker": "codex-mid", "turns": [ {{mid}} ] },
                { "worker": "claude-idle", "turns": [ {{idle}} ] }, { "worker": "codex-idle", "turns": [ {{idle}} ] } ] }
            """;
        _server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(script), Log = Record }, Ct);
        var json = $$"""
            { "fleet_name": "{{Fleet}}", "type": "dag", "config": { "provider": "claude", "model": "sonnet", "permission_mode": "default" },
              "gates": { "allow": ["Bash(*)"] },
              "workers": [
                { "id": "claude-mid", "type": "code-run", "task": "Do the scripted work." },
                { "id": "codex-mid", "type": "code-run", "task": "Do the scripted work.", "provider": "codex", "model": "gpt-5-codex" },
                { "id": "claude-idle", "type": "code-run", "task": "Do the scripted work." },
                { "id": "codex-idle", "type": "code-run", "task": "Do the scripted work.", "provider": "codex", "model": "gpt-5-codex" } ] }
            """;
        var layout = new FleetLayout(_root.Path);
        await File.WriteAllTextAsync(layout.FleetFile, json, Ct);
        await FleetRuns.BeginAsync(layout, Fleet, "dag", "background", rehearse: true, TimeProvider.System, Ct);
        var fleet = FleetValidator.Validate(json, "fleet.json", _root.Path).Fleet!;
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"steer latency, {count} messages per CLI and situation, said alternately to claude and codex with `fleet say` ({Path.GetFileName(RepoPaths.FleetArgv[0])}):");

        try
        {
            // Mid-turn: the message comes at a random point of a one-second tool call; the agent takes it at the next tool boundary.
            await StartAsync(fleet, layout, "claude-mid");
            await StartAsync(fleet, layout, "codex-mid");
            await Task.WhenAll(WaitForLogAsync("claude-mid", "\"tool_use\""), WaitForLogAsync("codex-mid", "\"commandExecution\""));
            var midTimes = new Dictionary<string, List<Timing>> { ["claude-mid"] = [], ["codex-mid"] = [] };
            for (var i = 0; i < count; i++)
            {
                foreach (var worker in midTimes.Keys)
                {
                    await Task.Delay(Random.Shared.Next(0, 1000), Ct);
                    midTimes[worker].Add(await SayAndTimeAsync(worker, i));
                }
            }

            await StopAllAsync();

            // Between turns: each turn is interrupted during a long tool call; once it has ended the message is the next turn.
            await StartAsync(fleet, layout, "claude-idle");
            await StartAsync(fleet, layout, "codex-idle");
            var idleTimes = new Dictionary<string, List<Timing>> { ["claude-idle"] = [], ["codex-idle"] = [] };
            var turnEnd = new Dictionary<string, string> { ["claude-idle"] = "\"type\":\"result\"", ["codex-idle"] = "\"method\":\"turn/completed\"" };
            for (var i = 0; i < count; i++)
            {
                foreach (var worker in idleTimes.Keys)
                {
                    // The turn runs once the endpoint has answered its request (the brief's, or the last message's) with a tool call.
                    await WaitForAsync(() => i == 0 ? _requests.Any(r => r.Key?.Contains(":" + worker + ":", StringComparison.Ordinal) == true) : _carried.ContainsKey($"[{worker}#{i - 1}]"), worker + "'s turn");
                    await Task.Delay(300, Ct);
                    await new SteerWorker(new FleetHost(Environment.GetEnvironmentVariable, _root.Path, TimeProvider.System)).InterruptAsync(_root.Path, worker, Ct);
                    await WaitForLogAsync(worker, turnEnd[worker], atLeast: i + 1);
                    idleTimes[worker].Add(await SayAndTimeAsync(worker, i));
                }
            }

            await StopAllAsync();
            foreach (var cli in new[] { "claude", "codex" })
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"{cli} (pid and session kept throughout)")
                    .AppendLine(Lines("mid-turn (1 s tool calls)", midTimes[cli + "-mid"]))
                    .AppendLine(Lines("between turns", idleTimes[cli + "-idle"]));
            }
        }
        catch
        {
            _keep = true;
            await File.WriteAllLinesAsync(_root.Combine("requests.jsonl"), _requests.Select(r => r.ToJsonLine()), CancellationToken.None);
            TestContext.Current.TestOutputHelper?.WriteLine($"the fleet's folder is kept: {_root.Path}");
            throw;
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        if (Environment.GetEnvironmentVariable("FLEET_BENCH_STEER_OUT") is { Length: > 0 } file)
        {
            await File.WriteAllTextAsync(file, report.ToString(), Ct);
        }
    }

    private sealed record Timing(double ToHandOver, double HandOverToModel, double ToModel);

    private static string Steps(string command, int count) =>
        string.Join(",", Enumerable.Repeat($$"""{ "type": "shell", "command": "{{command}}" }""", count)) + """, { "type": "text", "text": "Done." }""";

    /// <summary>Each message carries a tag the endpoint's record is searched for: the first request that carries it.</summary>
    private void Record(RehearsalLogEntry entry)
    {
        _requests.Enqueue(entry);
        foreach (Match m in Tag().Matches(entry.Said ?? string.Empty))
        {
            _carried.TryAdd(m.Value, entry);
        }
    }

    /// <summary>Runs <c>fleet say ROOT WORKER --json MESSAGE</c> and waits for the model request that carries the message.</summary>
    private async Task<Timing> SayAndTimeAsync(string worker, int i)
    {
        var tag = $"[{worker}#{i}]";
        var psi = RepoPaths.FleetProcess(_root.Path, "say", _root.Path, worker, "--json", $"{tag} keep going, use pnpm");
        var started = DateTimeOffset.UtcNow;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TestTimeouts.Slow, Ct);
        process.ExitCode.ShouldBe(0, $"fleet say {worker} {tag}: {await stderr}");
        var handedAt = JsonDocument.Parse(await stdout).RootElement.GetProperty("handed_at").GetDateTimeOffset();
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        RehearsalLogEntry? carrying;
        while (!_carried.TryGetValue(tag, out carrying))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{tag}: fleet say reported it handed over at {handedAt:O}, and no model request carried it within {TestTimeouts.Slow.TotalSeconds} s");
            }

            await Task.Delay(5, Ct);
        }

        return new Timing((handedAt - started).TotalMilliseconds, (carrying.At - handedAt).TotalMilliseconds, (carrying.At - started).TotalMilliseconds);
    }

    private async Task StartAsync(ResolvedFleet fleet, FleetLayout layout, string worker)
    {
        await new Journal(layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = worker, Iteration = 1 }, Ct);
        var spec = await WorkerPreparation.PrepareAsync(fleet, worker, 1, new WorkerRunOptions(_server!.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        _running.Add((Task.Run(() => WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, null), stop.Token), Ct), stop));
    }

    /// <summary>Stops the running shims, and checks each kept one agent (the pid it started) to its end.</summary>
    private async Task StopAllAsync()
    {
        foreach (var (run, stop) in _running)
        {
            run.IsCompleted.ShouldBeFalse(run.IsCompletedSuccessfully ? run.Result.Error ?? "the worker ended before the benchmark did" : "the worker failed");
            await stop.CancelAsync();
            var record = await run.WaitAsync(TestTimeouts.Slow, Ct);
            record.Pid.ShouldNotBeNull("one agent took every message");
            stop.Dispose();
        }

        _running.Clear();
    }

    private static string Lines(string situation, List<Timing> times) => string.Join(Environment.NewLine,
        $"  {situation}:",
        Line("fleet say -> hand-over", times.Select(t => t.ToHandOver)),
        Line("hand-over -> model request", times.Select(t => t.HandOverToModel)),
        Line("fleet say -> model request", times.Select(t => t.ToModel)));

    private static string Line(string what, IEnumerable<double> ms)
    {
        var sorted = ms.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"    {what,-28} median {At(0.5),7:0} ms   p99 {At(0.99),7:0} ms   max {sorted[^1],7:0} ms   (n={sorted.Count})");
    }

    /// <summary>Waits until the worker's raw stream holds <paramref name="text"/> at least <paramref name="atLeast"/> times.</summary>
    private async Task WaitForLogAsync(string worker, string text, int atLeast = 1)
    {
        var path = Path.Combine(IterationDir, worker + ".log");
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (!File.Exists(path) || Occurrences(await File.ReadAllTextAsync(path, Ct), text) < atLeast)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path} never showed {text} {atLeast} times");
            }

            await Task.Delay(20, Ct);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited in vain for {what}");
            }

            await Task.Delay(10, Ct);
        }
    }

    private static int Occurrences(string haystack, string needle)
    {
        var n = 0;
        for (var at = haystack.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = haystack.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    [GeneratedRegex(@"\[[a-z]+-[a-z]+#[0-9]+\]")]
    private static partial Regex Tag();
}
