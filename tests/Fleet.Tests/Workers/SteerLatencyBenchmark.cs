using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

/// <summary>
/// The benchmark behind <c>scripts/bench-steer.sh</c> (it runs only when <c>FLEET_BENCH_STEER</c> names a message
/// count): the real claude works through one-second tool calls while messages are said to it one at a time, and each
/// message's latency is measured from the moment it is said to the model request that carries it (the rehearsal
/// endpoint's record), split at the shim's hand-over.
/// </summary>
public sealed class SteerLatencyBenchmark
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_message_said_during_a_long_run_reaches_the_model_and_the_latencies_are_reported()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("FLEET_BENCH_STEER"), CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            Assert.Skip("SKIPPED: a benchmark; scripts/bench-steer.sh runs it (FLEET_BENCH_STEER=N).");
        }

        AgentCli.RequireOrSkip("claude");
        using var root = new TempDir("fleet-steer-bench-");
        var requests = new ConcurrentQueue<RehearsalLogEntry>();
        var turns = string.Join(",", Enumerable.Repeat("""{ "type": "shell", "command": "sleep 1" }""", (count * 3) + 5));
        var script = $$"""{ "rules": [ { "worker": "bench", "turns": [ {{turns}}, { "type": "text", "text": "Done." } ] } ] }""";
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(script), Log = requests.Enqueue }, Ct);
        var json = """
            { "fleet_name": "bench", "type": "dag", "config": { "provider": "claude", "model": "sonnet", "permission_mode": "default" },
              "gates": { "allow": ["Bash(*)"] }, "workers": [ { "id": "bench", "type": "code-run", "task": "Do the scripted work." } ] }
            """;
        var fleet = FleetValidator.Validate(json, "fleet.json", root.Path).Fleet!;
        var spec = await WorkerPreparation.PrepareAsync(fleet, "bench", 1, new WorkerRunOptions(server.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
        // Enough tool calls for every message to find one running; the shim is stopped once the last message is in.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = Task.Run(() => WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, null), stop.Token), Ct);
        var log = Path.Combine(root.Path, "iterations", "1", "bench.log");
        await WaitAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("\"tool_use\"", StringComparison.Ordinal));
        var token = WorkerClaim.TryRead(Path.Combine(root.Path, "iterations", "1"), "bench")!.Token!;

        var handOver = new List<double>();
        var toModel = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var text = $"steer message {i}";
            var said = DateTimeOffset.UtcNow;
            var reply = await SteerLink.SendAsync(token, new SteerRequest { Say = text }, Ct);
            reply!.Ok.ShouldBeTrue(reply.Error);
            await WaitAsync(() => requests.Any(r => r.Said?.Contains(text, StringComparison.Ordinal) == true));
            var carried = requests.First(r => r.Said?.Contains(text, StringComparison.Ordinal) == true);
            handOver.Add((reply.HandedAt!.Value - said).TotalMilliseconds);
            toModel.Add((carried.At - said).TotalMilliseconds);
        }

        await stop.CancelAsync();
        var record = await run.WaitAsync(TestTimeouts.Slow, Ct);
        record.Pid.ShouldNotBeNull("one agent took every message");
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"steer latency over {count} messages (one-second tool calls):")
            .AppendLine(Line("say -> shim hand-over", handOver))
            .AppendLine(Line("say -> model request", toModel))
            .ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        if (Environment.GetEnvironmentVariable("FLEET_BENCH_STEER_OUT") is { Length: > 0 } file)
        {
            await File.WriteAllTextAsync(file, report, Ct);
        }
    }

    private static string Line(string what, List<double> ms)
    {
        var sorted = ms.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"  {what,-24} median {At(0.5),8:0.0} ms   p99 {At(0.99),8:0.0} ms   max {sorted[^1],8:0.0} ms");
    }

    private static async Task WaitAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the benchmark stalled");
            }

            await Task.Delay(10, Ct);
        }
    }
}
