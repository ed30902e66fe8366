using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.State;

namespace Fleet.Orchestration;

/// <summary>Who runs a fleet: written by the orchestrator once it holds the root's lock.</summary>
public sealed record OrchestratorInfo(int Pid, ulong StartTime, DateTimeOffset StartedAt, string? Log, string? RehearsalUrl)
{
    [JsonIgnore]
    public ProcessIdentity Identity => new(Pid, StartTime);

    public static string PathFor(FleetLayout layout) => Path.Combine(layout.StateDir, "orchestrator.json");

    public static OrchestratorInfo? TryRead(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(PathFor(layout)), OrchestrationJsonContext.Default.OrchestratorInfo);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The orchestrator that runs the fleet now, or null (never started, ended, or killed).</summary>
    public static OrchestratorInfo? Running(FleetLayout layout) => TryRead(layout) is { } info && info.Identity.IsAlive ? info : null;
}

/// <summary>
/// One orchestrator per fleet root: an exclusive lock on <c>.fleet/lock</c> held for the orchestrator's
/// lifetime (an OS lock, so it is released however the process dies).
/// </summary>
public sealed class FleetLock : IDisposable
{
    private readonly FileStream _handle;

    private FleetLock(FileStream handle) => _handle = handle;

    public static string PathFor(FleetLayout layout) => Path.Combine(layout.StateDir, "lock");

    /// <summary>The lock, or null when another process holds it.</summary>
    public static FleetLock? TryAcquire(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        PrivateFiles.CreateDirectory(layout.StateDir);
        try
        {
            return new FleetLock(PrivateFiles.Open(PathFor(layout), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The lock, waiting up to <paramref name="wait"/> for it; null when another process still holds it then. A lock is
    /// not free the instant its holder is killed: the kernel releases it once the process has exited (measured 5 to 25 ms
    /// after a SIGKILL), and <see cref="IsHeld"/> takes it for a moment. An orchestrator that starts within milliseconds
    /// (a resume right after a crash) waits out those windows instead of exiting.
    /// </summary>
    public static async Task<FleetLock?> AcquireAsync(FleetLayout layout, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            if (TryAcquire(layout) is { } acquired)
            {
                return acquired;
            }

            if (time.GetUtcNow() >= deadline)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when some process holds the lock now.</summary>
    public static bool IsHeld(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!File.Exists(PathFor(layout)))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(PathFor(layout), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _handle.Dispose();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(OrchestratorInfo))]
internal sealed partial class OrchestrationJsonContext : JsonSerializerContext;

/// <summary>The JSON shapes of orchestration files, for callers outside this namespace.</summary>
public static class OrchestrationJson
{
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<OrchestratorInfo> Info => OrchestrationJsonContext.Default.OrchestratorInfo;
}
