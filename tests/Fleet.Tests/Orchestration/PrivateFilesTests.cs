using System.Runtime.Versioning;
using Fleet.Gates.Inbox;
using Fleet.Paths;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Store;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Orchestration;

/// <summary>
/// Everything fleet writes that can hold agent data is private (files 0600, folders 0700) under the usual umask 022,
/// while what the agents write in the person's work keeps the person's umask.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class PrivateFilesTests
{
    [Fact]
    public async Task A_command_fleet_under_umask_022_leaves_its_state_iterations_logs_and_registry_private_and_the_workers_file_at_0644()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "modes", "type": "dag", "config": { "provider": "command" },
              "workers": [ { "id": "maker", "type": "code-run", "command": {{FleetRun.Sh("echo made > \"$0/made-by-worker.txt\"; echo 'a secret-looking line on stdout'")}} } ] }
            """);
        FileModes.UmaskShouldBe022(run.Dir.Path);

        (await run.LaunchAndWaitAsync()).ShouldBe(0);

        run.State.Worker("maker", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        var home = Path.Combine(run.Dir.Path, ".fleet-home");
        File.Exists(Path.Combine(run.Root, "iterations", "1", "maker.log")).ShouldBeTrue();
        Directory.EnumerateFiles(Path.Combine(home, "fleets")).ShouldNotBeEmpty("the registry holds the fleet");
        FileModes.ShouldAllBePrivate(run.Layout.StateDir, Path.Combine(run.Root, "iterations"), home);
        FileModes.Octal(File.GetUnixFileMode(Path.Combine(run.Root, "made-by-worker.txt"))).ShouldBe("0644");
    }

    [Fact]
    public async Task A_gated_claude_fleet_keeps_the_gate_request_answer_and_log_private_and_the_file_claude_wrote_at_0644()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun("""
            { "fleet_name": "gated", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default" },
              "workers": [ { "id": "writer", "type": "code-run", "task": "Write the file." } ] }
            """);
        FileModes.UmaskShouldBe022(run.Dir.Path);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);

        var gate = await OpenGateAsync(run);
        (await run.FleetAsync("approve", run.Root, gate.Id)).ExitCode.ShouldBe(0);
        await run.WaitForAsync(s => s.Ended is not null);

        run.State.Ended!.Outcome.ShouldBe("success");
        var iteration = Path.Combine(run.Root, "iterations", "1");
        File.Exists(Path.Combine(iteration, "writer.gates.jsonl")).ShouldBeTrue();
        FileModes.Walk(iteration).Count(e => e.Path.Contains("gate", StringComparison.OrdinalIgnoreCase)).ShouldBeGreaterThan(1, "the gate's request and answer are on disk");
        // claude makes its own folders (backups, projects) in the config folder fleet gives it, with claude's modes.
        var claudeConfig = Path.Combine(run.Layout.StateDir, "rehearsal", "claude-config");
        FileModes.Octal(File.GetUnixFileMode(claudeConfig)).ShouldBe("0700");
        FileModes.ShouldAllBePrivate(
            [run.Layout.StateDir, Path.Combine(run.Root, "iterations"), Path.Combine(run.Dir.Path, ".fleet-home")],
            path => path.StartsWith(claudeConfig + "/", StringComparison.Ordinal));
        var written = Directory.GetFiles(run.Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/iterations/", StringComparison.Ordinal) && !f.Contains("/.fleet", StringComparison.Ordinal) && !f.EndsWith("fleet.json", StringComparison.Ordinal))
            .ToList();
        written.ShouldNotBeEmpty("the approved Write did not happen");
        written.ShouldAllBe(f => FileModes.Octal(File.GetUnixFileMode(f)) == "0644");
    }

    [Fact]
    public async Task A_new_store_with_its_wal_and_shm_is_private_under_umask_022()
    {
        using var dir = new TempDir();
        FileModes.UmaskShouldBe022(dir.Path);
        var transcript = dir.Write("projects/p/s.jsonl", """{"type":"user","sessionId":"s1","timestamp":"2026-02-10T10:00:00Z","message":{"role":"user","content":"hello"}}""" + "\n");
        var db = dir.Combine("home", "data", "telemetry.db");
        await using (var store = await TelemetryStore.OpenAsync(db, TestContext.Current.CancellationToken).DefaultTimeout())
        {
            await new TelemetryIngestor(store, TimeProvider.System)
                .IngestAsync([transcript], new IngestOptions { Privacy = PrivacyLevel.Full }, TestContext.Current.CancellationToken).DefaultTimeout();
            File.Exists(db + "-wal").ShouldBeTrue("the open store has its WAL");
            File.Exists(db + "-shm").ShouldBeTrue("the open store has its shared memory file");
            FileModes.ShouldAllBePrivate(dir.Combine("home"));
        }

        FileModes.ShouldAllBePrivate(dir.Combine("home"));
    }

    [Fact]
    public async Task A_store_and_fleet_folders_made_readable_before_are_tightened_when_fleet_opens_them()
    {
        using var dir = new TempDir();
        var db = dir.Combine("telemetry.db");
        await (await TelemetryStore.OpenAsync(db, TestContext.Current.CancellationToken).DefaultTimeout()).DisposeAsync();
        File.SetUnixFileMode(db, (UnixFileMode)Convert.ToInt32("644", 8));
        var iterations = dir.Combine("root", "iterations");
        Directory.CreateDirectory(iterations, (UnixFileMode)Convert.ToInt32("755", 8));

        await (await TelemetryStore.OpenAsync(db, TestContext.Current.CancellationToken).DefaultTimeout()).DisposeAsync();
        PrivateFiles.CreateDirectory(Path.Combine(iterations, "1"));

        FileModes.Octal(File.GetUnixFileMode(db)).ShouldBe("0600");
        FileModes.Octal(File.GetUnixFileMode(iterations)).ShouldBe("0755", "only the folder fleet opens is tightened, not its parents");
        FileModes.Octal(File.GetUnixFileMode(Path.Combine(iterations, "1"))).ShouldBe("0700");
        PrivateFiles.CreateDirectory(iterations);
        FileModes.Octal(File.GetUnixFileMode(iterations)).ShouldBe("0700");
    }

    private static async Task<InboxGate> OpenGateAsync(FleetRun run)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (GateInbox.Open(run.Layout) is [var gate, ..])
                return gate;
            if (run.State.Ended is { } ended)
                throw new InvalidOperationException($"the run ended without a gate: {ended.Outcome}: {ended.Reason}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("no gate opened");
    }
}
