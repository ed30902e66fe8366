using Fleet.Paths;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Orchestration;

/// <summary>A fleet is its root: the names it owns outside the root (tmux, registry) come from the root, not the fleet's name alone.</summary>
public class FleetIdentityTests
{
    [Fact]
    public void Two_roots_with_one_fleet_name_get_two_tmux_names_and_two_registry_keys()
    {
        using var dir = new TempDir();
        var a = Directory.CreateDirectory(dir.Combine("a", "fleet")).FullName;
        var b = Directory.CreateDirectory(dir.Combine("b", "fleet")).FullName;

        FleetIdentity.KeyOf(a).ShouldNotBe(FleetIdentity.KeyOf(b));
        FleetIdentity.TmuxName("twin", a).ShouldNotBe(FleetIdentity.TmuxName("twin", b));
        FleetIdentity.TmuxName("twin", a).ShouldBe($"fleet-twin-{FleetIdentity.KeyOf(a)[..8]}");
    }

    [Fact]
    public void A_root_reached_through_a_symlink_is_the_same_fleet()
    {
        using var dir = new TempDir();
        var real = Directory.CreateDirectory(dir.Combine("real")).FullName;
        var link = dir.Combine("link");
        Directory.CreateSymbolicLink(link, real);

        RealPath.Of(link).ShouldBe(RealPath.Of(real));
        RealPath.Of(link + "/").ShouldBe(RealPath.Of(real));
        FleetIdentity.KeyOf(link).ShouldBe(FleetIdentity.KeyOf(real));
        FleetIdentity.TmuxName("f", link).ShouldBe(FleetIdentity.TmuxName("f", real));
    }

    [Fact]
    public void A_root_that_does_not_exist_is_keyed_by_its_full_path()
    {
        FleetIdentity.KeyOf("/no/such/root").ShouldBe(FleetIdentity.KeyOf("/no/such/root/"));
        FleetIdentity.KeyOf("/no/such/root").ShouldNotBe(FleetIdentity.KeyOf("/no/such/other"));
    }

    [Theory]
    [InlineData("demo", "fleet-demo-")]
    [InlineData("my.fleet", "fleet-my_fleet-")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234", "fleet-a2345678901234567890123456789012-")]
    public void The_tmux_name_keeps_the_fleet_name_for_people_and_stays_short_enough_for_a_socket_path(string fleetName, string prefix)
    {
        var name = FleetIdentity.TmuxName(fleetName, "/srv/fleets/x");

        name.ShouldBe(prefix + FleetIdentity.KeyOf("/srv/fleets/x")[..8]);
        // tmux's socket is ${TMUX_TMPDIR:-/tmp}/tmux-UID/NAME and a socket path has room for 107 bytes.
        $"/tmp/tmux-4294967295/{name}".Length.ShouldBeLessThan(80);
    }

    [Fact]
    public void The_registry_lists_two_roots_with_one_name_as_two_fleets()
    {
        using var dir = new TempDir();
        var registry = new FleetRegistry(new UserDirs(v => v == "FLEET_HOME" ? dir.Combine("home") : null));
        var a = Directory.CreateDirectory(dir.Combine("a")).FullName;
        var b = Directory.CreateDirectory(dir.Combine("b")).FullName;

        registry.Register(a, "twin", TimeProvider.System);
        registry.Register(b, "twin", TimeProvider.System);
        registry.Register(a, "twin", TimeProvider.System);

        registry.List().Select(e => (e.Name, e.Root)).ShouldBe([("twin", RealPath.Of(a)), ("twin", RealPath.Of(b))]);
        registry.Unregister(b);
        registry.List().ShouldHaveSingleItem().Root.ShouldBe(RealPath.Of(a));
        Directory.GetFiles(registry.Dir).ShouldHaveSingleItem("no temp file is left behind");
    }

    [Fact]
    public async Task Registry_readers_never_see_an_entry_half_written_or_missing_while_writers_replace_it()
    {
        using var dir = new TempDir();
        var registry = new FleetRegistry(new UserDirs(v => v == "FLEET_HOME" ? dir.Combine("home") : null));
        var root = Directory.CreateDirectory(dir.Combine("root")).FullName;
        registry.Register(root, "busy", TimeProvider.System);
        var ct = TestContext.Current.CancellationToken;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Four writers replace the one entry as fast as they can (they used to share a temp file and fail), a reader checks each read.
        // Threads of their own, and the reads begin once each has written: a busy thread pool may start a task late.
        using var started = new CountdownEvent(4);
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(
            () =>
            {
                var writes = 0;
                while (!stop.IsCancellationRequested)
                {
                    registry.Register(root, "busy", TimeProvider.System);
                    if (writes++ == 0)
                    {
                        started.Signal();
                    }
                }

                return writes;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToList();
        started.Wait(TestTimeouts.Default, ct).ShouldBeTrue("every writer has written once");
        var reads = 0;
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTimeOffset.UtcNow < deadline)
        {
            registry.List().ShouldHaveSingleItem().Root.ShouldBe(RealPath.Of(root));
            reads++;
        }

        await stop.CancelAsync();
        var writes = await Task.WhenAll(writers).DefaultTimeout();
        TestContext.Current.TestOutputHelper?.WriteLine($"{reads} reads during {writes.Sum()} writes");
        writes.ShouldAllBe(n => n > 0);
        reads.ShouldBeGreaterThan(0);
        Directory.GetFiles(registry.Dir).ShouldHaveSingleItem("no temp file is left behind");
    }
}
