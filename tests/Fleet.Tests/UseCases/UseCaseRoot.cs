using Fleet.Orchestration;
using Fleet.Planning;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

/// <summary>A fleet root in a temp folder, its journal written entry by entry, and a host whose user folders are the test's own.</summary>
public sealed class UseCaseRoot : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDir _dir = new("fleet-usecase-");

    public UseCaseRoot()
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

    public string Root { get; }

    public FleetLayout Layout { get; }

    public FleetHost Host { get; }

    public TempDir Dir => _dir;

    public async Task JournalAsync(params JournalEntry[] entries)
    {
        var journal = new Journal(Layout.JournalFile, TimeProvider.System);
        foreach (var entry in entries)
        {
            await journal.AppendAsync(entry, TestContext.Current.CancellationToken).DefaultTimeout();
        }
    }

    public Task StartedAsync(string run = "r-1", int iteration = 1) => JournalAsync(
        new JournalEntry { Type = JournalTypes.RunStarted, Run = run, Fleet = "demo", FleetType = "dag", SpawnMode = "background" },
        new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = iteration });

    public void Dispose() => _dir.Dispose();

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
