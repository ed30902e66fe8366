using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Spawning;

public sealed class SpawnerSelectorTests : IDisposable
{
    private readonly FakeBin _bin = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _bin.Dispose();

    [Fact]
    public async Task Auto_uses_tmux_when_it_is_on_path_and_says_which_version()
    {
        _bin.Real("tmux");

        var choice = await SpawnerSelector.SelectAsync(TmuxPreference.Auto, _bin.Path, null, null, Ct).DefaultTimeout();

        choice.Mode.ShouldBe("tmux");
        choice.Spawner.ShouldBeOfType<TmuxSpawner>();
        choice.Reason.ShouldMatch(@"^tmux \d+\.\d+[a-z]? found$");
        choice.Tmux!.Path.ShouldBe(Path.Combine(_bin.Path, "tmux"));
    }

    [Fact]
    public async Task Auto_without_tmux_on_path_runs_workers_in_the_background_and_says_where_the_views_are()
    {
        var choice = await SpawnerSelector.SelectAsync(TmuxPreference.Auto, _bin.Path, null, null, Ct).DefaultTimeout();

        choice.Mode.ShouldBe("background");
        choice.Spawner.ShouldBeOfType<BackgroundSpawner>();
        choice.Reason.ShouldBe("tmux not found on PATH: workers run in the background; their views are in iterations/N/<id>.shim.log");
    }

    [Fact]
    public async Task Auto_with_a_tmux_that_fails_its_version_query_falls_back_to_the_background()
    {
        _bin.Script("tmux", "tmux: broken", exitCode: 1);

        var choice = await SpawnerSelector.SelectAsync(TmuxPreference.Auto, _bin.Path, null, null, Ct).DefaultTimeout();

        choice.Mode.ShouldBe("background");
        choice.Reason.ShouldStartWith($"tmux at {Path.Combine(_bin.Path, "tmux")} does not work (`tmux -V` failed (exit 1): tmux: broken)");
    }

    [Fact]
    public async Task Asking_for_tmux_when_it_is_missing_is_an_error_naming_the_install_command()
    {
        var error = await Should.ThrowAsync<TmuxUnavailableException>(SpawnerSelector.SelectAsync(TmuxPreference.Always, _bin.Path, null, null, Ct).DefaultTimeout());

        error.Message.ShouldBe("--tmux: tmux not found on PATH; install it with: sudo apt-get install tmux (or launch with --no-tmux); nothing was started");
    }

    [Fact]
    public async Task Asking_for_tmux_when_it_is_there_says_so()
    {
        _bin.Script("tmux", "tmux 3.3a");

        var choice = await SpawnerSelector.SelectAsync(TmuxPreference.Always, _bin.Path, "fleet-test-x", null, Ct).DefaultTimeout();

        choice.Mode.ShouldBe("tmux");
        choice.Reason.ShouldBe("--tmux: tmux 3.3a found");
        ((TmuxSpawner)choice.Spawner).SessionFor("demo", "/srv/demo").Server.SocketName.ShouldBe("fleet-test-x");
    }

    [Fact]
    public async Task No_tmux_means_the_background_without_even_looking_for_tmux()
    {
        _bin.Script("tmux", "tmux 3.3a");

        var choice = await SpawnerSelector.SelectAsync(TmuxPreference.Never, _bin.Path, null, null, Ct).DefaultTimeout();

        choice.Mode.ShouldBe("background");
        choice.Reason.ShouldStartWith("--no-tmux");
        choice.Tmux.ShouldBeNull();
    }

    [Fact]
    public void Each_fleet_root_gets_its_own_tmux_server_unless_a_socket_is_forced()
    {
        var spawner = new TmuxSpawner();
        var key = FleetIdentity.KeyOf("/srv/demo")[..8];

        spawner.SessionFor("demo", "/srv/demo").Server.SocketName.ShouldBe($"fleet-demo-{key}");
        spawner.SessionFor("demo", "/srv/demo").Name.ShouldBe($"fleet-demo-{key}");
        spawner.SessionFor("my.fleet", "/srv/demo").Name.ShouldBe($"fleet-my_fleet-{key}");
        new TmuxSpawner("shared").SessionFor("demo", "/srv/demo").Server.SocketName.ShouldBe("shared");
        new TmuxSpawner("shared").SessionFor("demo", "/srv/demo").Name.ShouldBe($"fleet-demo-{key}");
        TmuxServer.Literal("a;").ShouldBe("a\\;");
        TmuxServer.Literal("a;b").ShouldBe("a;b");
    }
}
