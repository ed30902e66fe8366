using Fleet.Cli;
using Fleet.Orchestration.Spawning;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Validation;

namespace Fleet.Tests.Spawning;

public sealed class AttachCommandTests : IAsyncDisposable
{
    private readonly TempDir _dir = new();
    private readonly TmuxServer _fleetServer = new("tmux", "fleet-test-" + Guid.NewGuid().ToString("N")[..12], "/dev/null");
    private readonly TmuxServer _terminal = new("tmux", "fleet-test-term-" + Guid.NewGuid().ToString("N")[..12], "/dev/null");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _terminal.KillServerAsync(CancellationToken.None);
        await _fleetServer.KillServerAsync(CancellationToken.None);
        _dir.Dispose();
    }

    [Fact]
    public async Task Attach_to_a_fleet_without_a_tmux_session_says_it_runs_in_the_background_shows_its_views_and_exits_2()
    {
        var (root, _) = await InitFleetAsync();
        var log = Path.Combine(root, "iterations", "1", "worker-a.shim.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await File.WriteAllTextAsync(log, "view", Ct).DefaultTimeout();

        var (code, console) = await AttachAsync(root);

        code.ShouldBe(2);
        console.Stdout.ShouldBeEmpty();
        console.Stderr.ShouldContain("has no windows to attach to");
        console.Stderr.ShouldContain($"there is no tmux session fleet-");
        console.Stderr.ShouldContain("its workers run in the background");
        console.Stderr.ShouldContain(log);
    }

    [Fact]
    public async Task Attach_to_a_folder_without_a_fleet_is_a_usage_error()
    {
        var (code, console) = await AttachAsync(_dir.Combine("nothing-here"));

        code.ShouldBe(2);
        console.Stderr.ShouldStartWith("fleet: ");
    }

    [Fact]
    public async Task Attach_in_a_terminal_shows_the_fleets_worker_windows()
    {
        var (root, name) = await InitFleetAsync();
        var session = new TmuxSession(_fleetServer, TmuxSession.NameFor(name, root));
        await _fleetServer.RunCheckedAsync(["new-session", "-d", "-s", session.Name, "-n", "worker-a", "--", "sh", "-c", "echo the-view-of-worker-a; exec sleep 60"], Ct).DefaultTimeout();

        // The person's terminal: a window of another tmux server, itself running `fleet attach ROOT` (so $TMUX is set there too).
        await _terminal.RunCheckedAsync(["new-session", "-d", "-s", "person", "-x", "120", "-y", "30", "--", "env", $"{TmuxServer.SocketVariable}={_fleetServer.SocketName}", .. RepoPaths.FleetArgv, "attach", root], Ct).DefaultTimeout();
        var person = new TmuxSession(_terminal, "person");

        var screen = string.Empty;
        await Eventually.TrueAsync(() => (screen = person.CapturePaneAsync("0", Ct).Result).Contains("the-view-of-worker-a", StringComparison.Ordinal), $"the person's terminal shows the worker's window (it showed: {screen.Trim()})");
        await Eventually.TrueAsync(() => _fleetServer.RunAsync(["list-clients", "-F", "#{client_session}"], Ct).Result.Stdout.Trim() == session.Name, "one client is attached to the fleet's session");
    }

    private async Task<(string Root, string Name)> InitFleetAsync()
    {
        var root = _dir.Combine("f");
        var (code, console) = await TestConsole.RunAsync(_dir.Path, "init", root, "--type", "dag", "--provider", "command");
        using (console)
        {
            code.ShouldBe(0, console.Stderr);
        }

        return (root, FleetValidator.ValidatePath(root).Fleet!.Name);
    }

    private async Task<(int Code, TestConsole Console)> AttachAsync(string root)
    {
#pragma warning disable CA2000 // Returned to the test, which reads it.
        var console = new TestConsole(_dir.Path, new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH")!,
            [TmuxServer.SocketVariable] = _fleetServer.SocketName!,
            ["FLEET_HOME"] = _dir.Combine("home"),
        });
#pragma warning restore CA2000
        var code = await FleetApp.RunAsync(["attach", root], console, Ct).DefaultTimeout();
        return (code, console);
    }
}
