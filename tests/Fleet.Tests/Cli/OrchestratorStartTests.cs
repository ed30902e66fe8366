using Fleet.Cli.Hosting;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>
/// How launch and resume see their detached orchestrator start, with stand-in orchestrators (FLEET_COMMAND names a
/// script that gets <c>orchestrate ROOT</c>): real detached processes, real files.
/// </summary>
public class OrchestratorStartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void MakeExecutable(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task An_orchestrator_that_writes_its_info_and_exits_at_once_counts_as_started()
    {
        using var dir = new TempDir();
        // Writes its info as the orchestrator does once it holds the lock, then exits: a run over before anyone looks.
        var script = dir.Write("fast-orchestrator", """
            #!/bin/sh
            mkdir -p "$2/.fleet"
            printf '{"pid":%s,"start_time":1,"started_at":"2026-01-01T00:00:00+00:00","log":null,"rehearsal_url":null}' "$$" > "$2/.fleet/orchestrator.json.tmp"
            mv "$2/.fleet/orchestrator.json.tmp" "$2/.fleet/orchestrator.json"
            """);
        MakeExecutable(script);
        var layout = new FleetLayout(dir.Combine("fleet"));
        using var console = new TestConsole(dir.Path, new Dictionary<string, string> { ["FLEET_COMMAND"] = script });

        var info = await FleetProcesses.StartOrchestratorAsync(console, layout, rehearse: false, TimeProvider.System, Ct).SlowTimeout();

        info.StartTime.ShouldBe(1UL);
        OrchestratorInfo.Running(layout).ShouldBeNull("it has already exited");
    }

    [Fact]
    public async Task An_orchestrator_that_stops_with_an_error_is_reported_with_that_error_at_once()
    {
        using var dir = new TempDir();
        var script = dir.Write("refusing-orchestrator", """
            #!/bin/sh
            echo "fleet: another orchestrator holds $2/.fleet/lock" >&2
            exit 2
            """);
        MakeExecutable(script);
        var layout = new FleetLayout(dir.Combine("fleet"));
        Directory.CreateDirectory(layout.StateDir);
        File.WriteAllText(Path.Combine(layout.StateDir, FleetRuns.LaunchLog), "fleet: an error of an earlier orchestrator, not this one\n");
        using var console = new TestConsole(dir.Path, new Dictionary<string, string> { ["FLEET_COMMAND"] = script });

        var error = await Should.ThrowAsync<CliException>(FleetProcesses.StartOrchestratorAsync(console, layout, rehearse: false, TimeProvider.System, Ct).SlowTimeout());

        error.Message.ShouldStartWith($"the orchestrator stopped: another orchestrator holds {layout.StateDir}/lock");
        error.ExitCode.ShouldBe(ExitCodes.Internal);
    }
}
