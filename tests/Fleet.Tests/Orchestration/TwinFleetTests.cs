using System.Text.Json;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;

namespace Fleet.Tests.Orchestration;

/// <summary>Two roots whose fleets have one name, launched for real in tmux mode: each is its own fleet.</summary>
public class TwinFleetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Killing_one_of_two_fleets_with_the_same_name_leaves_the_others_session_window_and_worker_running(bool sharedSocket)
    {
        // Each worker records its pid, then runs until killed.
        var worker = FleetRun.Sh("echo $$ > \"$0/worker.pid\"; exec sleep 300");
        var json = $$"""
            { "fleet_name": "twin", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "sleeper", "type": "code-run", "command": {{worker}} } ] }
            """;
        await using var first = new FleetRun(json);
        await using var second = new FleetRun(json);
        using var home = new TempDir("fleet-home-");
        var socket = sharedSocket ? $"fleet-test-{Guid.NewGuid():N}"[..24] : null;
        foreach (var run in new[] { first, second })
        {
            run.Environment["FLEET_HOME"] = home.Path;
            if (socket is not null)
            {
                run.Environment[TmuxServer.SocketVariable] = socket;
            }
        }

        var firstSession = TmuxSession.ForFleet("twin", first.Root, socket);
        var secondSession = TmuxSession.ForFleet("twin", second.Root, socket);
        try
        {
            foreach (var run in new[] { first, second })
            {
                var (code, console) = await run.FleetAsync("launch", run.Root, "--tmux").SlowTimeout();
                code.ShouldBe(0, console.Stderr);
            }

            var secondWorker = await WorkerAsync(second);
            var firstWorker = await WorkerAsync(first);
            (await secondSession.ListWindowsAsync(Ct).DefaultTimeout()).ShouldHaveSingleItem().Name.ShouldBe("sleeper");
            (await firstSession.ListWindowsAsync(Ct).DefaultTimeout()).ShouldHaveSingleItem().Name.ShouldBe("sleeper");

            var (listed, ls) = await first.FleetAsync("ls", "--json").DefaultTimeout();
            listed.ShouldBe(0, ls.Stderr);
            using (var doc = JsonDocument.Parse(ls.Stdout))
            {
                var rows = doc.RootElement.EnumerateArray().Select(e => $"{e.GetProperty("name").GetString()} {e.GetProperty("root").GetString()}").Order(StringComparer.Ordinal).ToArray();
                rows.ShouldBe(new[] { $"twin {RealPath.Of(first.Root)}", $"twin {RealPath.Of(second.Root)}" }.Order(StringComparer.Ordinal).ToArray());
            }

            var (killed, kill) = await first.FleetAsync("kill", first.Root).SlowTimeout();
            killed.ShouldBe(0, kill.Stderr);
            kill.Stdout.ShouldContain($"tmux session {firstSession.Name}: closed");

            await Eventually.TrueAsync(() => !firstWorker.IsAlive, "the killed fleet's worker is gone");
            (await firstSession.ExistsAsync(Ct).DefaultTimeout()).ShouldBeFalse();
            secondWorker.IsAlive.ShouldBeTrue("the other fleet's worker still runs");
            (await secondSession.ExistsAsync(Ct).DefaultTimeout()).ShouldBeTrue("the other fleet's session is still there");
            var window = (await secondSession.ListWindowsAsync(Ct).DefaultTimeout()).ShouldHaveSingleItem();
            window.Name.ShouldBe("sleeper");
            window.PaneDead.ShouldBeFalse();
            OrchestratorInfo.Running(second.Layout).ShouldNotBeNull("the other fleet's orchestrator still runs");
            second.State.Ended.ShouldBeNull();

            var (_, after) = await second.FleetAsync("ls", "--json").DefaultTimeout();
            using (var doc = JsonDocument.Parse(after.Stdout))
            {
                // The killed one stays listed, as killed; the other still runs.
                var rows = doc.RootElement.EnumerateArray().Select(e => $"{e.GetProperty("root").GetString()} {e.GetProperty("state").GetString()}").Order(StringComparer.Ordinal).ToArray();
                rows.ShouldBe(new[] { $"{RealPath.Of(first.Root)} killed", $"{RealPath.Of(second.Root)} running" }.Order(StringComparer.Ordinal).ToArray());
            }

            (await second.FleetAsync("kill", second.Root).SlowTimeout()).ExitCode.ShouldBe(0);
            await Eventually.TrueAsync(() => !secondWorker.IsAlive, "the second fleet's worker is gone once it is killed too");
            (await secondSession.ExistsAsync(Ct).DefaultTimeout()).ShouldBeFalse();
        }
        finally
        {
            await firstSession.Server.KillServerAsync(CancellationToken.None);
            await secondSession.Server.KillServerAsync(CancellationToken.None);
        }
    }

    /// <summary>The worker's process, once it has recorded its pid.</summary>
    private static async Task<ProcessIdentity> WorkerAsync(FleetRun run)
    {
        var file = Path.Combine(run.Root, "worker.pid");
        ProcessIdentity? worker = null;
        await Eventually.TrueAsync(
            () => File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) && (worker = ProcessIdentity.TryCapture(pid)) is not null,
            $"the worker of {run.Root} runs");
        return worker!;
    }
}
