using System.Diagnostics;
using System.Text.RegularExpressions;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Spawning;

namespace Fleet.Tests.Orchestration;

/// <summary>One launch at a time per root: <c>fleet launch</c> and <c>fleet resume</c> hold the root's launch lock until their orchestrator has taken over.</summary>
public partial class LaunchLockTests
{
    private const string WaitForGo = "while [ ! -f \"$0/go\" ]; do sleep 0.05; done";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Fleet(string name) => $$"""
        { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command" }, "workers": [
          { "id": "waiter", "type": "code-run", "command": {{FleetRun.Sh(WaitForGo)}} } ] }
        """;

    [Fact]
    public async Task Two_launches_of_one_root_at_the_same_instant_begin_exactly_one_run_20_times_out_of_20()
    {
        const int rounds = 20;
        for (var round = 1; round <= rounds; round++)
        {
            await using var run = new FleetRun(Fleet("raced"));
            var barrier = run.Dir.Combine("barrier");

            // Both launchers wait on one file, then exec fleet: they start their launches within milliseconds of each other.
            using var a = StartLaunchAfter(barrier, run);
            using var b = StartLaunchAfter(barrier, run);
            await File.WriteAllTextAsync(barrier, "", Ct);
            var outputs = await Task.WhenAll(ReadAllAsync(a), ReadAllAsync(b)).SlowTimeout();

            var codes = new[] { a.ExitCode, b.ExitCode };
            var report = $"round {round}: exit codes {a.ExitCode} and {b.ExitCode}\n--- a:\n{outputs[0]}\n--- b:\n{outputs[1]}\njournal: {string.Join(", ", run.Journal.Select(e => e.Type))}";
            codes.Order().ToArray().ShouldBe([0, 2], report);
            var (winner, loserOutput) = a.ExitCode == 0 ? (a, outputs[1]) : (b, outputs[0]);
            run.Journal.Count(e => e.Type == JournalTypes.RunStarted).ShouldBe(1, report);
            var orchestrator = OrchestratorInfo.TryRead(run.Layout).ShouldNotBeNull(report);
            OrchestratorsOf(run.Root).ShouldBe([orchestrator.Pid], report);

            // The loser names the winner: the launching process while it holds the lock, else the orchestrator it started.
            var named = NamedPid().Match(loserOutput);
            named.Success.ShouldBeTrue(report);
            int.Parse(named.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeOneOf([winner.Id, orchestrator.Pid], report);
            loserOutput.ShouldContain("nothing was started", Case.Sensitive, report);
            loserOutput.ShouldNotContain("   at ", Case.Sensitive, "no stack trace");

            await File.WriteAllTextAsync(Path.Combine(run.Root, "go"), "", Ct);
            await run.WaitForAsync(s => s.Ended is not null);
            run.State.Ended!.Outcome.ShouldBe("success", report);
            TestContext.Current.TestOutputHelper?.WriteLine($"round {round}: winner pid {winner.Id}; loser: {loserOutput.Trim()}");
        }
    }

    [Fact]
    public async Task A_launch_while_another_process_holds_the_launch_lock_exits_2_naming_it_and_writes_nothing()
    {
        await using var run = new FleetRun(Fleet("held"));

        // This test process is the holder (a flock lock belongs to an open file: a second open in this process is refused too).
        var attempt = await LaunchLock.AcquireAsync(run.Layout, "test", TimeProvider.System, Ct).DefaultTimeout();
        using (attempt.Lock.ShouldNotBeNull())
        {
            var holder = LaunchLock.ReadHolder(run.Layout).ShouldNotBeNull();
            var (code, console) = await run.FleetAsync("launch", run.Root, "--no-tmux").SlowTimeout();

            code.ShouldBe(2, console.Stdout + console.Stderr);
            console.Stderr.ShouldBe($"fleet: fleet \"held\" is already being launched by pid {Environment.ProcessId} (fleet test, since {holder.StartedAt.ToLocalTime():HH:mm:ss}); watch it with: fleet status {run.Root}; nothing was started\n");
        }

        File.Exists(run.Layout.JournalFile).ShouldBeFalse("no run was begun");
        File.Exists(run.Layout.LaunchFile).ShouldBeFalse();
        OrchestratorInfo.TryRead(run.Layout).ShouldBeNull();
        File.Exists(LaunchLock.HolderPathFor(run.Layout)).ShouldBeFalse("the holder's name goes with the lock");
        new FleetRegistry(new Paths.UserDirs(v => v == "FLEET_HOME" ? run.Dir.Combine(".fleet-home") : null)).List().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_resume_while_another_process_holds_the_launch_lock_exits_2_naming_it_and_writes_nothing()
    {
        await using var run = new FleetRun(Fleet("held"));
        var (launched, launch) = await run.FleetAsync("launch", run.Root, "--no-tmux").SlowTimeout();
        launched.ShouldBe(0, launch.Stderr);
        var orchestrator = OrchestratorInfo.TryRead(run.Layout).ShouldNotBeNull();
        // The launched run writes on until its worker is spawned; from then on it writes nothing until the worker ends.
        await run.WaitForAsync(s => s.Worker("waiter", 1).Status == WorkerStatus.Started);
        var journal = File.ReadAllText(run.Layout.JournalFile);

        var attempt = await LaunchLock.AcquireAsync(run.Layout, "test", TimeProvider.System, Ct).DefaultTimeout();
        using (attempt.Lock.ShouldNotBeNull())
        {
            var holder = LaunchLock.ReadHolder(run.Layout).ShouldNotBeNull();
            var (code, console) = await run.FleetAsync("resume", run.Root).SlowTimeout();

            code.ShouldBe(2, console.Stdout + console.Stderr);
            console.Stderr.ShouldBe($"fleet: fleet \"held\" is already being launched by pid {Environment.ProcessId} (fleet test, since {holder.StartedAt.ToLocalTime():HH:mm:ss}); watch it with: fleet status {run.Root}; nothing was started\n");
        }

        File.ReadAllText(run.Layout.JournalFile).ShouldBe(journal, "nothing was written");
        OrchestratorInfo.TryRead(run.Layout).ShouldBe(orchestrator, "no orchestrator was started");
        await File.WriteAllTextAsync(Path.Combine(run.Root, "go"), "", Ct);
        await run.WaitForAsync(s => s.Ended is not null);
    }

    /// <summary><c>sh -c 'wait for BARRIER; exec fleet launch ROOT --no-tmux'</c>, with the test's FLEET_HOME.</summary>
    private static Process StartLaunchAfter(string barrier, FleetRun run)
    {
        var psi = new ProcessStartInfo("sh") { WorkingDirectory = run.Dir.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", "while [ ! -e \"$0\" ]; do sleep 0.005; done; exec \"$@\"", barrier }.Concat(RepoPaths.FleetArgv).Concat(["launch", run.Root, "--no-tmux"]))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["FLEET_HOME"] = run.Dir.Combine(".fleet-home");
        psi.Environment["FLEET_COMMAND"] = RepoPaths.FleetCommand;
        return Process.Start(psi)!;
    }

    private static async Task<string> ReadAllAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return await stdout + await stderr;
    }

    /// <summary>The pids of the live <c>fleet orchestrate ROOT</c> processes.</summary>
    /// <summary>
    /// The orchestrator processes of <paramref name="root"/>. A child the orchestrator has forked but not yet exec'd (a
    /// worker's spawn) shows the orchestrator's command line for a moment: it is not a second orchestrator.
    /// </summary>
    private static int[] OrchestratorsOf(string root)
    {
        var found = SpawnWorld.ProcessesWithArgument(root).Where(p => IsOrchestrator(p.Pid)).Select(p => p.Pid).ToList();
        return [.. found.Where(pid => !found.Contains(ParentOf(pid)))];
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static bool IsOrchestrator(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains("orchestrate");
        }
        catch (IOException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"already (being launched by pid|running \(orchestrator pid) (?<pid>\d+)")]
    private static partial Regex NamedPid();
}
