using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fleet.Paths;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Dashboard;

/// <summary>
/// scripts/bench-dashboard.sh runs this (FLEET_BENCH_DASHBOARD=1): a journal line appended → the fleet page's DOM
/// showing it, in the system Chromium, while 20 fleets × 20 workers write their streams; and the dashboard process's
/// memory and CPU meanwhile. Skipped in an ordinary test run: it measures, it asserts nothing about time.
/// </summary>
public sealed class DashboardBenchmark
{
    [Fact]
    public async Task Journal_event_to_DOM_update_latency_under_20_fleets_of_20_workers()
    {
        if (Environment.GetEnvironmentVariable("FLEET_BENCH_DASHBOARD") != "1")
        {
            Assert.Skip("a benchmark: scripts/bench-dashboard.sh runs it");
        }

        var events = int.Parse(Environment.GetEnvironmentVariable("FLEET_BENCH_EVENTS") ?? "120", CultureInfo.InvariantCulture);
        using var dir = new TempDir("fleet-bench-dashboard-");
        var home = dir.Combine("home");
        var registry = new FleetRegistry(new UserDirs(n => n == "FLEET_HOME" ? home : null));
        var roots = new List<string>();
        for (var f = 0; f < 20; f++)
        {
            var root = dir.Combine($"fleet-{f:00}");
            var journal = new Journal(new FleetLayout(root).JournalFile, TimeProvider.System);
            Directory.CreateDirectory(Path.Combine(root, "iterations", "1"));
            await journal.AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = $"r-{f}", Fleet = $"bench-{f:00}", FleetType = "iterative", SpawnMode = "background" }, TestContext.Current.CancellationToken);
            await journal.AppendAsync(new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = 1 }, TestContext.Current.CancellationToken);
            for (var w = 0; w < 20; w++)
            {
                await journal.AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = $"w{w:00}", Iteration = 1 }, TestContext.Current.CancellationToken);
            }

            registry.Register(root, $"bench-{f:00}", TimeProvider.System);
            roots.Add(root);
        }

        // The dashboard as a person runs it: its own process, so its memory and CPU are its own.
        var start = RepoPaths.FleetProcess(dir.Path, "dashboard", "--port", "0", "--no-open", "--json");
        start.Environment["FLEET_HOME"] = home;
        using var dashboard = Process.Start(start)!;
        var first = await dashboard.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().DefaultTimeout();
        var tokenUrl = JsonDocument.Parse(first!).RootElement.GetProperty("token_url").GetString()!;
        _ = dashboard.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        // 400 workers' streams growing: a line per worker every 500 ms.
        using var load = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var writers = roots.Select(root => Task.Run(async () =>
        {
            var files = Enumerable.Range(0, 20).Select(w => Path.Combine(root, "iterations", "1", $"w{w:00}.log")).ToList();
            var n = 0;
            while (!load.IsCancellationRequested)
            {
                n++;
                foreach (var file in files)
                {
                    await File.AppendAllTextAsync(file, $"line {n} of the worker's output\n", CancellationToken.None);
                }

                try
                {
                    await Task.Delay(500, load.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        })).ToList();

        try
        {
            await using var browser = await Chromium.StartAsync();
            var target = roots[0];
            await browser.NavigateAsync(tokenUrl.Replace("/?token", "/fleet?root=" + Uri.EscapeDataString(target) + "&token", StringComparison.Ordinal));
            await browser.WaitForAsync("document.body.dataset.live === '1'", TestTimeouts.Default);
            await browser.EvalAsync("""
                window.benchSeen = {};
                const look = () => { for (const m of document.querySelectorAll('#verdicts pre')) { const k = m.textContent; if (k.startsWith('bench-') && !(k in window.benchSeen)) window.benchSeen[k] = Date.now(); } };
                new MutationObserver(look).observe(document.body, { childList: true, subtree: true });
                """);
            var cpuBefore = Cpu(dashboard.Id);
            var wallBefore = Stopwatch.GetTimestamp();
            var journal = new Journal(new FleetLayout(target).JournalFile, TimeProvider.System);
            var latencies = new List<double>();
            for (var i = 1; i <= events; i++)
            {
                var key = $"bench-{i}";
                var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await journal.AppendAsync(new JournalEntry { Type = JournalTypes.Verdict, Iteration = i, Outcome = "iterate", Reason = key, Source = "review.md" }, TestContext.Current.CancellationToken);
                await browser.WaitForAsync($"window.benchSeen[{JsonSerializer.Serialize(key)}]", TestTimeouts.Default);
                var seen = (await browser.EvalAsync($"window.benchSeen[{JsonSerializer.Serialize(key)}]"))!.GetValue<long>();
                latencies.Add(seen - at);
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }

            var seconds = Stopwatch.GetElapsedTime(wallBefore).TotalSeconds;
            var cpu = (Cpu(dashboard.Id) - cpuBefore) / seconds * 100;
            var (rss, peak) = Memory(dashboard.Id);
            latencies.Sort();
            var report = string.Create(CultureInfo.InvariantCulture,
                $"journal event -> DOM update over {latencies.Count} events: p50 {Percentile(latencies, 50):0} ms, p99 {Percentile(latencies, 99):0} ms, max {latencies[^1]:0} ms; dashboard process under 20 fleets x 20 workers (a line per worker every 500 ms): CPU {cpu:0.0}% of one core, RSS {rss / 1024.0:0} MB (peak {peak / 1024.0:0} MB)");
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            if (Environment.GetEnvironmentVariable("FLEET_BENCH_OUT") is { Length: > 0 } output)
            {
                await File.WriteAllTextAsync(output, report + "\n", TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            await load.CancelAsync();
            await Task.WhenAll(writers).WaitAsync(TestTimeouts.Default, CancellationToken.None);
            dashboard.Kill(entireProcessTree: true);
            await dashboard.WaitForExitAsync(CancellationToken.None).WaitAsync(TestTimeouts.Default, CancellationToken.None);
        }
    }

    private static double Percentile(List<double> sorted, int p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    /// <summary>utime + stime of the process, in seconds (/proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double Cpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>VmRSS and VmHWM in kB.</summary>
    private static (long Rss, long Peak) Memory(int pid)
    {
        var lines = File.ReadAllLines($"/proc/{pid}/status");
        long Kb(string name) => long.Parse(lines.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (Kb("VmRSS:"), Kb("VmHWM:"));
    }
}
