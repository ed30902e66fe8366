using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

/// <summary>
/// A use case's tests: a fleet root in a temp folder of their own, its journal written entry by entry, and a host whose
/// user folders and tmux server are the test's own.
/// </summary>
public abstract class UseCaseTest : IDisposable
{
    protected static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDir _dir = new("fleet-usecase-");

    protected UseCaseTest()
    {
        Root = _dir.Combine("fleet");
        Directory.CreateDirectory(Root);
        Layout = new FleetLayout(Root);
        var environment = new Dictionary<string, string>
        {
            ["FLEET_HOME"] = _dir.Combine("home"),

            // A server of the test's own: a kill closes sessions on it, never on the person's.
            ["FLEET_TMUX_SOCKET"] = $"fleet-usecase-{Guid.NewGuid():N}",
        };
        Host = new FleetHost(name => environment.GetValueOrDefault(name), _dir.Path, new FixedClock(Now));
    }

    protected string Root { get; }

    protected FleetLayout Layout { get; }

    protected FleetHost Host { get; }

    protected TempDir Dir => _dir;

    protected async Task JournalAsync(params JournalEntry[] entries)
    {
        var journal = new Journal(Layout.JournalFile, TimeProvider.System);
        foreach (var entry in entries)
        {
            await journal.AppendAsync(entry, Ct).DefaultTimeout();
        }
    }

    protected Task StartedAsync(string run = "r-1", int iteration = 1, string fleetType = "dag") => JournalAsync(
        new JournalEntry { Type = JournalTypes.RunStarted, Run = run, Fleet = "demo", FleetType = fleetType, SpawnMode = "background" },
        new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = iteration });

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dir.Dispose();
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
