using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;

namespace Fleet.State;

/// <summary>Starting a run: archive the last one, snapshot the rules in force, journal the start.</summary>
public static class FleetRuns
{
    public const string LaunchLog = "orchestrator.log";

    /// <summary>The latest run of the fleet at <paramref name="layout"/>.</summary>
    public static RunState Load(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return RunState.Fold(Journal.Read(layout.JournalFile));
    }

    /// <summary>
    /// Why the journal cannot be trusted to tell the run, or null: an orchestrator found it deleted or replaced
    /// (<c>.fleet/journal.lost</c>), or it is gone though the fleet was launched.
    /// </summary>
    public static string? JournalProblem(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (File.Exists(layout.JournalLostFile))
        {
            return File.ReadAllText(layout.JournalLostFile).Trim();
        }

        return !File.Exists(layout.JournalFile) && File.Exists(layout.LaunchFile)
            ? $"journal missing: {layout.Relative(layout.JournalFile)} does not exist, but {layout.Relative(layout.LaunchFile)} shows the fleet was launched (was the journal deleted?)"
            : null;
    }

    public static string NewRunId(TimeProvider time) =>
        $"r-{time.GetUtcNow():yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";

    /// <summary>
    /// Begins a new run: the previous run's iterations and rehearsal log move to <c>.fleet/runs/&lt;run&gt;/</c> (nothing is lost),
    /// fleet.json is snapshotted to <c>.fleet/launch.json</c> (edits apply from the next launch), and the journal
    /// gets its <c>run_started</c> entry.
    /// </summary>
    /// <param name="noMemory">The run is the experiment's no-memory arm (<see cref="RunArms"/>): journaled, so every process of the run reads it.</param>
    public static async Task<string> BeginAsync(FleetLayout layout, string fleetName, string fleetType, string spawnMode, bool rehearse, TimeProvider time, CancellationToken cancellationToken, bool noMemory = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var previous = Load(layout);
        var iterations = Path.Combine(layout.Root, "iterations");
        var archive = Path.Combine(layout.StateDir, "runs", previous.RunId ?? $"before-{time.GetUtcNow():yyyyMMdd-HHmmss}");
        if (Directory.Exists(iterations) && Directory.EnumerateFileSystemEntries(iterations).Any())
        {
            PrivateFiles.CreateDirectory(archive);
            Directory.Move(iterations, Path.Combine(archive, "iterations"));
        }

        // The rehearsal log counts what the run's endpoints served (a fail turn's times): a new run starts it afresh.
        if (File.Exists(layout.RehearsalRequestsFile))
        {
            PrivateFiles.CreateDirectory(archive);
            File.Move(layout.RehearsalRequestsFile, Path.Combine(archive, "rehearsal-requests.jsonl"), overwrite: true);
        }

        PrivateFiles.CreateDirectory(layout.StateDir);
        PrivateFiles.Copy(layout.FleetFile, layout.LaunchFile);
        File.Delete(layout.PausedFile);
        File.Delete(layout.JournalLostFile);

        // "Always" approvals hold for one run; the next run asks again (accepted ones belong in .fleet/gates.json).
        File.Delete(layout.RunRulesFile);
        var run = NewRunId(time);
        await new Journal(layout.JournalFile, time).AppendAsync(new JournalEntry
        {
            Type = JournalTypes.RunStarted,
            Run = run,
            Fleet = fleetName,
            FleetType = fleetType,
            SpawnMode = spawnMode,
            Rehearsal = rehearse ? "yes" : null,
            Arm = RunArms.Journaled(noMemory),
        }, cancellationToken);
        return run;
    }
}

/// <summary>One line per fleet this user launched on this machine, for <c>fleet ls</c>.</summary>
public sealed record RegistryEntry(string Root, string Name, DateTimeOffset RegisteredAt);

/// <summary>
/// The per-user registry of fleets: one small file per fleet root under the state dir, named by the root's key
/// (<see cref="FleetIdentity.KeyOf"/>), so two roots with one name are two entries. Each file is replaced whole
/// (a temp file of the writer's own in the same folder, flushed to disk, renamed over it): a reader sees the old entry
/// or the new one, never a part, and two writers never share a temp file.
/// </summary>
public sealed class FleetRegistry(UserDirs dirs)
{
    public string Dir => Path.Combine(dirs.StateDir, "fleets");

    public void Register(string root, string name, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        PrivateFiles.CreateDirectory(Dir);
        var entry = new RegistryEntry(RealPath.Of(root), name, time.GetUtcNow());
        PrivateFiles.Replace(FileFor(root), JsonSerializer.SerializeToUtf8Bytes(entry, RegistryJsonContext.Default.RegistryEntry), flushToDisk: true);
    }

    /// <summary>Forgets a fleet; one this registry never knew (launched under another FLEET_HOME, or already gone) is no error.</summary>
    public void Unregister(string root)
    {
        if (Directory.Exists(Dir))
        {
            File.Delete(FileFor(root));
        }
    }

    /// <summary>Every registered fleet; an entry removed while this reads is left out, not an error.</summary>
    public IReadOnlyList<RegistryEntry> List()
    {
        if (!Directory.Exists(Dir))
        {
            return [];
        }

        var entries = new List<RegistryEntry>();
        foreach (var file in Directory.GetFiles(Dir, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllText(file), RegistryJsonContext.Default.RegistryEntry) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
            }
        }

        return [.. entries.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Root, StringComparer.Ordinal)];
    }

    private string FileFor(string root) => Path.Combine(Dir, FleetIdentity.KeyOf(root) + ".json");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(RegistryEntry))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
