using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.State;

namespace Fleet.Orchestration;

/// <summary>Who holds a root's <see cref="LaunchLock"/>: the launching process and what it runs (<c>launch</c>, <c>resume</c>).</summary>
public sealed record LauncherInfo(int Pid, ulong StartTime, string Command, DateTimeOffset StartedAt)
{
    [JsonIgnore]
    public ProcessIdentity Identity => new(Pid, StartTime);
}

/// <summary>A try for a root's <see cref="LaunchLock"/>: the lock, or else the launcher that holds it (null when it has not said yet).</summary>
public sealed record LaunchLockAttempt(LaunchLock? Lock, LauncherInfo? Holder);

/// <summary>
/// The right to begin a run or start an orchestrator at a root (<c>.fleet/launch.lock</c>, an OS lock like
/// <see cref="FleetLock"/>). <c>fleet launch</c> and <c>fleet resume</c> take it before they read the run's state and
/// hold it until the orchestrator they start has taken the root's <see cref="FleetLock"/> and said so (or has failed):
/// a second launcher gets the lock only once that orchestrator can be seen, so no moment is left in which two runs or two
/// orchestrators can begin. It is a lock of its own because the orchestrator takes <see cref="FleetLock"/> while the
/// launcher still holds this one.
/// </summary>
public sealed class LaunchLock : IDisposable
{
    /// <summary>How long a second launcher waits for the holder to say who it is (it writes that just after taking the lock).</summary>
    public static readonly TimeSpan HolderWait = TimeSpan.FromSeconds(2);

    private readonly FileStream _handle;
    private readonly string _holderFile;

    private LaunchLock(FileStream handle, string holderFile)
    {
        _handle = handle;
        _holderFile = holderFile;
    }

    public static string PathFor(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Path.Combine(layout.StateDir, "launch.lock");
    }

    /// <summary>The holder's <see cref="LauncherInfo"/>, beside the lock: a locked file cannot be read by another process.</summary>
    public static string HolderPathFor(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Path.Combine(layout.StateDir, "launch.holder.json");
    }

    /// <summary>
    /// Takes the lock for this process, which runs <paramref name="command"/>; when another process holds it, returns
    /// that process (waiting up to <see cref="HolderWait"/> for it to write its name, or for the lock to come free).
    /// </summary>
    public static async Task<LaunchLockAttempt> AcquireAsync(FleetLayout layout, string command, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(time);
        PrivateFiles.CreateDirectory(layout.StateDir);
        var deadline = time.GetUtcNow() + HolderWait;
        while (true)
        {
            if (TryOpen(layout) is { } handle)
            {
                var self = ProcessIdentity.TryCapture(Environment.ProcessId);
                var holder = new LauncherInfo(Environment.ProcessId, self?.StartTime ?? 0, command, time.GetUtcNow());
                WriteHolder(layout, holder);
                return new LaunchLockAttempt(new LaunchLock(handle, HolderPathFor(layout)), null);
            }

            // A holder file left by a launcher that died is not the holder: it names a process that is gone.
            if (ReadHolder(layout) is { } other && other.Identity.IsAlive)
            {
                return new LaunchLockAttempt(null, other);
            }

            if (time.GetUtcNow() >= deadline)
            {
                return new LaunchLockAttempt(null, null);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The recorded holder, or null (none, or a file being replaced).</summary>
    public static LauncherInfo? ReadHolder(FleetLayout layout)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(HolderPathFor(layout)), LaunchLockJsonContext.Default.LauncherInfo);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Forgets the holder first, so the next holder never finds this one's name, then frees the lock.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_holderFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        _handle.Dispose();
    }

    private static FileStream? TryOpen(FleetLayout layout)
    {
        try
        {
            return PrivateFiles.Open(PathFor(layout), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void WriteHolder(FleetLayout layout, LauncherInfo holder)
    {
        var path = HolderPathFor(layout);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        PrivateFiles.WriteAllText(temp, JsonSerializer.Serialize(holder, LaunchLockJsonContext.Default.LauncherInfo));
        File.Move(temp, path, overwrite: true);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LauncherInfo))]
internal sealed partial class LaunchLockJsonContext : JsonSerializerContext;
