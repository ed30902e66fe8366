using Fleet.Dashboard;
using Fleet.Paths;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Dashboard;

/// <summary>The dashboard's live changes when the system refuses file watchers (inotify's instances are shared by all of a user's processes).</summary>
public sealed class FleetWatchPollTests
{
    private static FileSystemWatcher? Refused(string dir, bool recursive, FileSystemEventHandler handler) => null;

    private static async Task<LiveChange> NextAsync(LiveEvents.Subscription subscription, Func<LiveChange, bool> wanted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestTimeouts.Default);
        while (true)
        {
            var change = await subscription.Reader.ReadAsync(timeout.Token);
            if (wanted(change))
            {
                return change;
            }
        }
    }

    private static string NewRoot(TempDir dir, string name)
    {
        var root = dir.Combine(name);
        PrivateFiles.CreateDirectory(Path.Combine(root, ".fleet"));
        PrivateFiles.CreateDirectory(Path.Combine(root, "iterations", "1", "gates"));
        File.WriteAllText(Path.Combine(root, ".fleet", "journal.jsonl"), "");
        return RealPath.Of(root);
    }

    [Fact]
    public async Task A_root_whose_watchers_are_refused_is_polled_and_its_gates_and_journal_still_reach_the_pages()
    {
        using var dir = new TempDir("fleet-watch-");
        var registry = new FleetRegistry(new UserDirs(name => name == "XDG_STATE_HOME" ? dir.Combine("state") : null));
        var root = NewRoot(dir, "polled");
        registry.Register(root, "polled", TimeProvider.System);
        var events = new LiveEvents(TimeProvider.System, TimeSpan.FromMilliseconds(20));
        using var subscription = events.Subscribe();
        using var watch = new FleetWatch(registry, events, TimeProvider.System, Refused);
        await NextAsync(subscription, c => c.Root == root);

        await File.WriteAllTextAsync(Path.Combine(root, "iterations", "1", "gates", "writer-1-1.request.json"), "{}", TestContext.Current.CancellationToken);
        (await NextAsync(subscription, c => c.Root == root && c.Kinds.Contains("gate"))).Root.ShouldBe(root);

        await File.AppendAllTextAsync(Path.Combine(root, ".fleet", "journal.jsonl"), "{\"type\":\"paused\"}\n", TestContext.Current.CancellationToken);
        (await NextAsync(subscription, c => c.Root == root && c.Kinds.Contains("journal"))).Root.ShouldBe(root);

        await File.WriteAllTextAsync(Path.Combine(root, "iterations", "1", "writer.exit.json"), "{}", TestContext.Current.CancellationToken);
        (await NextAsync(subscription, c => c.Root == root && c.Kinds.Contains("exit"))).Workers.ShouldBe(["writer"]);
    }

    [Fact]
    public async Task A_fleet_registered_while_the_registry_watcher_is_refused_is_found_by_the_poll_and_then_watched_for_changes()
    {
        using var dir = new TempDir("fleet-watch-");
        var registry = new FleetRegistry(new UserDirs(name => name == "XDG_STATE_HOME" ? dir.Combine("state") : null));
        var events = new LiveEvents(TimeProvider.System, TimeSpan.FromMilliseconds(20));
        using var subscription = events.Subscribe();
        using var watch = new FleetWatch(registry, events, TimeProvider.System, Refused);

        var root = NewRoot(dir, "late");
        registry.Register(root, "late", TimeProvider.System);
        (await NextAsync(subscription, c => c.Root.Length == 0)).Kinds.ShouldBe(["registry"]);
        await NextAsync(subscription, c => c.Root == root);

        await File.AppendAllTextAsync(Path.Combine(root, ".fleet", "journal.jsonl"), "{\"type\":\"paused\"}\n", TestContext.Current.CancellationToken);
        await NextAsync(subscription, c => c.Root == root && c.Kinds.Contains("journal"));
    }
}
