using System.Text.Json;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Orchestration;

/// <summary>A fleet in a temp folder, driven through the real CLI (the orchestrator runs as a real detached process).</summary>
internal sealed class FleetRun : IAsyncDisposable
{
    public FleetRun(string fleetJson)
    {
        Dir = new TempDir("fleet-run-");
        Root = Dir.Combine("fleet");
        Dir.Write("fleet/fleet.json", fleetJson);
        Layout = new FleetLayout(Root);
    }

    public TempDir Dir { get; }

    public string Root { get; }

    public FleetLayout Layout { get; }

    public RunState State => FleetRuns.Load(Layout);

    public IReadOnlyList<JournalEntry> Journal => global::Fleet.State.Journal.Read(Layout.JournalFile);

    /// <summary>A command worker's argv: a constant sh script with the root, iteration and worker as arguments.</summary>
    public static string Sh(string script) =>
        JsonSerializer.Serialize(new[] { "sh", "-c", script, "{root}", "{iteration}", "{worker}" });

    /// <summary>Appends "worker iteration" to starts.txt, so a double start is visible.</summary>
    public const string RecordStart = "echo \"$2 $1\" >> \"$0/starts.txt\"; ";

    /// <summary>A reviewer that approves from iteration <paramref name="approveFrom"/> on.</summary>
    public static string Reviewer(int approveFrom, string before = "iterate") =>
        Sh(RecordStart + $"if [ \"$1\" -ge {approveFrom} ]; then v=lgtm; else v={before}; fi; printf 'verdict: %s\\nreason for %s at %s\\n' \"$v\" \"$v\" \"$1\" > \"$0/iterations/$1/review.md\"");

    /// <summary>Extra environment for every command of this run (e.g. a private tmux socket).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public Task<(int ExitCode, TestConsole Console)> FleetAsync(params string[] args) => TestConsole.RunAsync(Dir.Path, Environment, args);

    public async Task<int> LaunchAndWaitAsync()
    {
        var (code, console) = await FleetAsync("launch", Root, "--wait", "--no-tmux").SlowTimeout();
        TestContext.Current.TestOutputHelper?.WriteLine(console.Stdout + console.Stderr);
        return code;
    }

    public IReadOnlyList<string> Starts => File.Exists(Path.Combine(Root, "starts.txt")) ? File.ReadAllLines(Path.Combine(Root, "starts.txt")) : [];

    public async Task WaitForAsync(Func<RunState, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TestTimeouts.Slow);
        while (!condition(State))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the fleet never reached the expected state; journal:\n{string.Join('\n', Journal.Select(e => $"{e.Type} {e.Worker} {e.Iteration} {e.Outcome} {e.Reason}"))}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>What a failed wait shows: the journal, the rehearsal requests and the tail of each log and record of the run.</summary>
    public string Diagnostics()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("--- journal ---");
        foreach (var e in Journal)
        {
            text.AppendLine($"{e.Type} {e.Worker} {e.Iteration} {e.Outcome} {e.Reason}");
        }

        var files = new[] { Layout.RehearsalRequestsFile }
            .Concat(Directory.Exists(Path.Combine(Root, "iterations")) ? Directory.EnumerateFiles(Path.Combine(Root, "iterations"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : []);
        foreach (var file in files.Where(File.Exists))
        {
            var lines = File.ReadAllLines(file);
            text.AppendLine($"--- {Path.GetRelativePath(Root, file)} ({lines.Length} lines, last 25) ---");
            foreach (var line in lines.TakeLast(25))
            {
                text.AppendLine(line.Length > 400 ? line[..400] + "…" : line);
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // Never leave a test's processes behind, whatever the test did.
        await FleetKiller.KillAsync(Layout, null, force: true, new Fleet.Processes.StopLadder(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(5)), TimeProvider.System, CancellationToken.None);
        Dir.Dispose();
    }
}
