using System.Text.Json;
using Fleet.Paths;
using Fleet.State;

namespace Fleet.Gates.Inbox;

/// <summary>Reads and extends <c>.fleet/gates.run.json</c> (<see cref="RunGateRules"/>).</summary>
public static class RunRules
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    /// <summary>The rules of the current run; empty when there are none, or they belong to another run.</summary>
    public static RunGateRules Read(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var run = FleetRuns.Load(layout).RunId;
        var rules = TryRead(GatePaths.RunRules(layout.StateDir));
        return rules is not null && rules.Run == run ? rules : new RunGateRules(run, []);
    }

    /// <summary>
    /// Adds <paramref name="rule"/> for the rest of the current run (once). Read-modify-write under a lock file,
    /// then written atomically (temp file, rename), so concurrent approvals keep every rule and a reader never
    /// sees half a file.
    /// </summary>
    public static async Task<RunGateRules> AddAsync(FleetLayout layout, string rule, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentException.ThrowIfNullOrEmpty(rule);
        PrivateFiles.CreateDirectory(layout.StateDir);
        var path = GatePaths.RunRules(layout.StateDir);
        await using var held = await LockAsync(path + ".lock", time, cancellationToken);
        var current = Read(layout);
        if (current.Allow.Contains(rule, StringComparer.Ordinal))
        {
            return current;
        }

        var updated = current with { Allow = [.. current.Allow, rule] };
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        await PrivateFiles.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(updated, GateJsonContext.Default.RunGateRules), cancellationToken);
        File.Move(temp, path, overwrite: true);
        return updated;
    }

    private static RunGateRules? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), GateJsonContext.Default.RunGateRules) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task<FileStream> LockAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + LockWait;
        while (true)
        {
            try
            {
                return PrivateFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
            }
        }
    }
}
