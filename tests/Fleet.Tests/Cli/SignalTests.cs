using System.Diagnostics;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Cli;

/// <summary>A person stops a command that is following a run: it says so, and it is never reported as a crash.</summary>
public sealed class SignalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_to_launch_wait_says_the_fleet_goes_on_and_how_to_stop_it_without_an_internal_error()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "sleepy", "type": "dag",
              "workers": [ { "id": "nap", "type": "code-run", "provider": "command", "command": {{FleetRun.Sh("sleep 20")}} } ] }
            """);
        var psi = RepoPaths.FleetProcess(run.Dir.Path, "launch", run.Root, "--wait", "--no-tmux");

        psi.Environment["FLEET_HOME"] = run.Dir.Combine("home");
        psi.Environment["FLEET_COMMAND"] = RepoPaths.FleetCommand;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        await run.WaitForAsync(s => s.Workers.Any(w => w.Status == WorkerStatus.Started));

        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await process.WaitForExitAsync(Ct).DefaultTimeout();

        var errors = await stderr.DefaultTimeout();
        TestContext.Current.TestOutputHelper?.WriteLine(await stdout.DefaultTimeout() + errors);
        errors.ShouldContain($"fleet: stopped following; the fleet goes on (fleet status {run.Root}); to stop it: fleet kill {run.Root}");
        errors.ShouldNotContain("internal error");
        process.ExitCode.ShouldBe(ExitCodes.NeedsPerson);
        run.State.Ended.ShouldBeNull("stopping the follower does not stop the fleet");
        var (killCode, kill) = await run.FleetAsync("kill", run.Root);
        killCode.ShouldBe(0, kill.Stderr);
    }
}
