using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Cli;

/// <summary>
/// <c>launch --wait</c> in a real terminal: a tmux pane of a fixed size runs the real fleet program, and what a person
/// would see is read back with capture-pane.
/// </summary>
public sealed class LiveWaitTmuxTests : IAsyncDisposable
{
    private readonly TmuxServer _terminal = new("tmux", "fleet-test-live-" + Guid.NewGuid().ToString("N")[..12], "/dev/null");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync() => await _terminal.KillServerAsync(CancellationToken.None);

    [Fact]
    public async Task Launch_wait_at_a_terminal_shows_the_workers_live_in_colour_and_ends_with_the_total_cost_and_time()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "live", "type": "dag",
              "workers": [
                { "id": "quick", "type": "code-run", "provider": "command", "command": {{FleetRun.Sh("true")}} },
                { "id": "slow", "type": "code-run", "provider": "command", "command": {{FleetRun.Sh("sleep 6")}} } ] }
            """);
        await StartAsync(run, "launch", run.Root, "--wait", "--no-tmux");

        var live = await WaitForPaneAsync(p => p.Contains("│ slow", StringComparison.Ordinal) && p.Contains("running", StringComparison.Ordinal));
        live.ShouldContain("│ quick");
        live.ShouldContain("Ctrl+C stops watching; the fleet goes on");
        live.ShouldNotContain("worker_spawning");
        var end = await WaitForPaneAsync(p => p.Contains("total cost $", StringComparison.Ordinal));
        end.ShouldContain("success: all 2 workers succeeded");
        end.ShouldMatch(@"total cost \$0(\.\d+)?, time \d+\.\ds");
        end.ShouldNotContain("run_ended");

        (await PaneAsync(escapes: true)).ShouldContain("\u001b[", customMessage: "the states are in colour");
        await WaitForPaneDeadAsync();
        (await _terminal.RunCheckedAsync(["display", "-p", "-t", "live", "#{keypad_cursor_flag} #{keypad_flag}"], Ct).DefaultTimeout()).Trim()
            .ShouldBe("0 0", "fleet leaves the terminal's cursor keys and keypad in normal mode");
    }

    [Fact]
    public async Task Ctrl_c_at_the_live_view_says_the_fleet_goes_on_and_how_to_stop_it_and_the_fleet_goes_on()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "sleepy", "type": "dag",
              "workers": [ { "id": "nap", "type": "code-run", "provider": "command", "command": {{FleetRun.Sh("sleep 60")}} } ] }
            """);
        await StartAsync(run, "launch", run.Root, "--wait", "--no-tmux");
        await WaitForPaneAsync(p => p.Contains("│ nap", StringComparison.Ordinal) && p.Contains("running", StringComparison.Ordinal));

        await _terminal.RunCheckedAsync(["send-keys", "-t", "live", "C-c"], Ct).DefaultTimeout();

        // Not "fleet kill": the launch banner's own "kill:" line has it before Ctrl+C is handled.
        var pane = await WaitForPaneAsync(p => p.Contains("stopped following", StringComparison.Ordinal));
        pane.ShouldContain($"the fleet goes on (fleet status {run.Root}); to stop it: fleet kill {run.Root}");
        pane.ShouldNotContain("fleet: cancelled");
        await WaitForPaneDeadAsync();
        OrchestratorInfo.Running(run.Layout).ShouldNotBeNull("Ctrl+C stops the watching, not the orchestrator");
        run.State.Ended.ShouldBeNull("the run goes on");
        run.State.Workers.Single().Status.ShouldBe(WorkerStatus.Started);
    }

    [Fact]
    public async Task A_report_leaves_the_terminal_keypad_in_normal_mode()
    {
        await using var run = new FleetRun("""{ "fleet_name": "idle", "type": "dag", "workers": [] }""");
        await StartAsync(run, "ls");

        await WaitForPaneDeadAsync();
        (await _terminal.RunCheckedAsync(["display", "-p", "-t", "live", "#{keypad_cursor_flag} #{keypad_flag}"], Ct).DefaultTimeout()).Trim().ShouldBe("0 0");
    }

    /// <summary>A 100×30 pane running the real fleet; it stays after fleet exits, so its screen and modes can be read.</summary>
    private async Task StartAsync(FleetRun run, params string[] args)
    {
        string[] command =
        [
            "start-server", ";", "set", "-g", "remain-on-exit", "on", ";",
            "new-session", "-d", "-s", "live", "-x", "100", "-y", "30", "-c", run.Dir.Path,
            "-e", $"FLEET_HOME={run.Dir.Combine("home")}", "-e", $"FLEET_COMMAND={RepoPaths.FleetCommand}", "-e", "NO_COLOR=", "-e", "TERM=xterm-256color",
            .. RepoPaths.FleetArgv, .. args,
        ];
        await _terminal.RunCheckedAsync(command, Ct).DefaultTimeout();
    }

    private async Task<string> PaneAsync(bool escapes = false) =>
        (await _terminal.RunAsync(escapes ? ["capture-pane", "-p", "-e", "-t", "live"] : ["capture-pane", "-p", "-J", "-t", "live"], Ct).DefaultTimeout()).Stdout;

    private async Task<string> WaitForPaneAsync(Func<string, bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        var pane = "";
        while (DateTimeOffset.UtcNow < deadline)
        {
            pane = await PaneAsync();
            if (condition(pane))
                return pane;
            await Task.Delay(100, Ct);
        }

        throw new TimeoutException($"the pane never showed what was expected; it showed:\n{pane}");
    }

    private async Task WaitForPaneDeadAsync()
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while ((await _terminal.RunCheckedAsync(["display", "-p", "-t", "live", "#{pane_dead}"], Ct).DefaultTimeout()).Trim() != "1")
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"fleet never exited; the pane showed:\n{await PaneAsync()}");
            await Task.Delay(100, Ct);
        }
    }
}
