using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Spawning;

/// <summary>Real tmux on a private socket per test (see <see cref="SpawnWorld"/>).</summary>
public sealed class TmuxSpawnerTests : IAsyncDisposable
{
    private readonly SpawnWorld _world = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task Spawning_creates_the_fleet_session_with_one_window_per_worker_named_after_it()
    {
        var spawner = _world.TmuxSpawner();

        var a = await spawner.SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();
        var b = await spawner.SpawnAsync(await _world.GatedRequestAsync("builder-b"), Ct).DefaultTimeout();

        var session = $"fleet-demo-{FleetIdentity.KeyOf(_world.Root)[..8]}";
        a.ShouldBe(new SpawnedWorker("tmux", $"{session}:builder-a"));
        b.ShouldBe(new SpawnedWorker("tmux", $"{session}:builder-b"));
        (await _world.Session.ExistsAsync(Ct).DefaultTimeout()).ShouldBeTrue();
        var windows = await _world.Session.ListWindowsAsync(Ct).DefaultTimeout();
        windows.Select(w => w.Name).ShouldBe(["builder-a", "builder-b"]);
        windows.ShouldAllBe(w => !w.PaneDead);
    }

    [Fact]
    public async Task A_window_shows_the_shims_readable_view_and_remains_after_the_worker_ends()
    {
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();
        await EventuallyShowsAsync("builder-a", "hello from builder-a");

        _world.Open("builder-a");
        var record = await _world.ExitRecordAsync("builder-a");
        await EventuallyShowsAsync("builder-a", "[fleet] builder-a iteration 1 failed (exit code 3)");
        await Eventually.TrueAsync(() => _world.Session.ListWindowsAsync(Ct).Result.Single().PaneDead, "the window's program has ended");

        record.ExitCode.ShouldBe(3);
        var screen = await _world.Session.CapturePaneAsync("builder-a", Ct, history: true).DefaultTimeout();
        screen.ShouldContain("[fleet] builder-a iteration 1:");
        screen.ShouldContain("hello from builder-a");
        (await _world.Session.ListWindowsAsync(Ct).DefaultTimeout()).Single().Name.ShouldBe("builder-a");
    }

    [Fact]
    public async Task The_shim_runs_in_its_own_session_under_the_windows_setsid_wrapper()
    {
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();

        var shim = await _world.ShimProcessAsync("builder-a");
        var window = (await _world.Session.ListWindowsAsync(Ct).DefaultTimeout()).Single();

        shim.SessionId.ShouldBe(shim.Pid);
        shim.ParentPid.ShouldBe(window.PanePid, "the window's program is setsid -w, which waits for the shim");
        Fleet.Processes.ProcStat.TryRead(window.PanePid)!.Command.ShouldBe("setsid");
    }

    [Fact]
    public async Task Closing_a_workers_window_does_not_stop_its_shim_from_writing_the_exit_record()
    {
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("builder-b"), Ct).DefaultTimeout();
        await EventuallyShowsAsync("builder-a", "hello from builder-a");
        var shim = await _world.ShimProcessAsync("builder-a");

        (await _world.Session.KillWindowAsync("builder-a", Ct).DefaultTimeout()).ShouldBeTrue();
        (await _world.Session.ListWindowsAsync(Ct).DefaultTimeout()).Select(w => w.Name).ShouldBe(["builder-b"]);
        new Fleet.Processes.ProcessIdentity(shim.Pid, shim.StartTime).IsAlive.ShouldBeTrue();
        _world.Open("builder-a");
        var record = await _world.ExitRecordAsync("builder-a");

        record.ExitCode.ShouldBe(3, "the agent ran to its own end: neither it nor the shim was hung up");
        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.Signal.ShouldBeNull();
        File.ReadAllText(_world.Files("builder-a").Log).ShouldBe("hello from builder-a\n");
    }

    [Fact]
    public async Task Killing_the_session_removes_it_and_every_shim_still_records_its_worker()
    {
        var spawner = _world.TmuxSpawner();
        await spawner.SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();
        await spawner.SpawnAsync(await _world.GatedRequestAsync("builder-b"), Ct).DefaultTimeout();
        await EventuallyShowsAsync("builder-b", "hello from builder-b");

        (await _world.Session.KillAsync(Ct).DefaultTimeout()).ShouldBeTrue();

        (await _world.Session.ExistsAsync(Ct).DefaultTimeout()).ShouldBeFalse();
        (await _world.Session.KillAsync(Ct).DefaultTimeout()).ShouldBeFalse("there is nothing left to kill");
        _world.Open("builder-a");
        _world.Open("builder-b");
        (await _world.ExitRecordAsync("builder-a")).ExitCode.ShouldBe(3);
        (await _world.ExitRecordAsync("builder-b")).ExitCode.ShouldBe(3);
    }

    [Fact]
    public async Task A_shim_run_directly_as_the_windows_program_dies_with_the_window_which_is_why_setsid_wraps_it()
    {
        var request = await _world.GatedRequestAsync("bare");
        await _world.Server.RunCheckedAsync(["new-session", "-d", "-s", _world.Session.Name, "-n", "bare", "--", .. request.ShimArgv], Ct).DefaultTimeout();
        await EventuallyShowsAsync("bare", "hello from bare");
        var shim = await _world.ShimProcessAsync("bare");
        var identity = new Fleet.Processes.ProcessIdentity(shim.Pid, shim.StartTime);

        await _world.Session.KillWindowAsync("bare", Ct).DefaultTimeout();

        await Eventually.TrueAsync(() => !identity.IsAlive, "SIGHUP from the closed terminal has ended the shim");
        _world.Open("bare");
        await Eventually.TrueAsync(() => SpawnWorld.ProcessesWithArgument(_world.Gate("bare")).Count == 0, "the orphaned agent has ended");
        File.Exists(_world.Files("bare").ExitJson).ShouldBeFalse("nobody was left to record the worker");
    }

    [Fact]
    public async Task A_new_iteration_replaces_the_workers_finished_window()
    {
        var spawner = _world.TmuxSpawner();
        await spawner.SpawnAsync(await _world.GatedRequestAsync("builder-a", 1), Ct).DefaultTimeout();
        _world.Open("builder-a", 1);
        await _world.ExitRecordAsync("builder-a", 1);
        await Eventually.TrueAsync(() => _world.Session.ListWindowsAsync(Ct).Result.Single().PaneDead, "iteration 1's window has ended");

        await spawner.SpawnAsync(await _world.GatedRequestAsync("builder-a", 2), Ct).DefaultTimeout();

        var windows = await _world.Session.ListWindowsAsync(Ct).DefaultTimeout();
        windows.Count.ShouldBe(1);
        windows[0].PaneDead.ShouldBeFalse();
        await EventuallyShowsAsync("builder-a", "[fleet] builder-a iteration 2:");
    }

    [Fact]
    public async Task A_new_spawner_finding_only_a_finished_earlier_run_starts_a_fresh_session()
    {
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("old"), Ct).DefaultTimeout();
        _world.Open("old");
        await _world.ExitRecordAsync("old");
        await Eventually.TrueAsync(() => _world.Session.ListWindowsAsync(Ct).Result.Single().PaneDead, "the earlier run's window has ended");

        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("new"), Ct).DefaultTimeout();

        (await _world.Session.ListWindowsAsync(Ct).DefaultTimeout()).Select(w => w.Name).ShouldBe(["new"]);
    }

    [Fact]
    public async Task Arguments_with_semicolons_quotes_and_tmux_formats_reach_the_shim_unchanged()
    {
        string[] tricky = ["a;", ";", "b\\;", "it's \"quoted\"", "#{pane_id}", "$HOME", "~"];
        var request = new SpawnRequest(SpawnWorld.FleetName, _world.Root, "args", 1, ["sh", "-c", "printf '<%s>' \"$@\"; echo; exec sleep 60", "sh", .. tricky], _world.ShimLog("args"));

        await _world.TmuxSpawner().SpawnAsync(request, Ct).DefaultTimeout();

        await EventuallyShowsAsync("args", string.Concat(tricky.Select(t => $"<{t}>")));
    }

    [Fact]
    public async Task A_missing_shim_program_fails_the_spawn_and_opens_no_window()
    {
        var request = new SpawnRequest(SpawnWorld.FleetName, _world.Root, "ghost", 1, [_world.Combine("no-such-program")], _world.ShimLog("ghost"));

        var error = await Should.ThrowAsync<WorkerSpawnException>(_world.TmuxSpawner().SpawnAsync(request, Ct).DefaultTimeout());

        error.Message.ShouldContain("does not exist");
        (await _world.Session.ExistsAsync(Ct).DefaultTimeout()).ShouldBeFalse();
    }

    [Fact]
    public async Task The_tmux_server_fleet_starts_holds_none_of_the_callers_pipes()
    {
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();
        var serverPid = int.Parse((await _world.Server.RunCheckedAsync(["display-message", "-p", "#{pid}"], Ct).DefaultTimeout()).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        var ours = Pipes(Environment.ProcessId);
        var servers = Pipes(serverPid);

        servers.ShouldNotBeEmpty("tmux keeps a pipe of its own");
        servers.Intersect(ours).ShouldBeEmpty();
    }

    private static HashSet<string> Pipes(int pid) =>
    [
        .. Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget ?? string.Empty)
            .Where(target => target.StartsWith("pipe:", StringComparison.Ordinal)),
    ];

    [Fact]
    public async Task Killing_the_server_also_removes_the_socket_file_tmux_leaves_behind()
    {
        await _world.TmuxSpawner().SpawnAsync(await _world.GatedRequestAsync("builder-a"), Ct).DefaultTimeout();
        File.Exists(_world.Server.SocketPath).ShouldBeTrue();

        (await _world.Server.KillServerAsync(Ct).DefaultTimeout()).ShouldBeTrue();

        File.Exists(_world.Server.SocketPath).ShouldBeFalse();
        (await _world.Server.KillServerAsync(Ct).DefaultTimeout()).ShouldBeFalse();
    }

    private async Task EventuallyShowsAsync(string window, string text)
    {
        var last = string.Empty;
        await Eventually.TrueAsync(
            () => (last = _world.Session.CapturePaneAsync(window, Ct, history: true).Result).Contains(text, StringComparison.Ordinal),
            $"window {window} shows \"{text}\" (it showed: {last.Trim()})");
    }
}
