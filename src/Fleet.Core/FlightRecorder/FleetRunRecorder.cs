using Fleet.Gates;
using Fleet.Orchestration;
using Fleet.Paths;
using Fleet.Spec;
using Fleet.State;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;

namespace Fleet.FlightRecorder;

/// <summary>
/// The orchestrator's link to the flight recorder: when a worker ends, its stream log goes into the telemetry
/// store tagged with the run, fleet, worker and iteration, and so do its gates (the inbox's log of the worker and the
/// journal's gates of the run). A recording failure is reported, never fatal.
/// </summary>
public sealed class FleetRunRecorder(string databasePath, TimeProvider time) : IRunRecorder, IAsyncDisposable
{
    private TelemetryStore? _store;

    public static FleetRunRecorder ForUser(UserDirs dirs, TimeProvider time) => new(TelemetryStore.DefaultPath(dirs), time);

    public async Task RecordAsync(WorkerRecording recording, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var iterationDir = Path.GetDirectoryName(Path.GetFullPath(recording.LogFile))!;
        var gateLog = GatePaths.Log(iterationDir, recording.Worker.Id);

        // <root>/iterations/<N>/<worker>.log: the journal is two folders up.
        var root = Path.GetDirectoryName(Path.GetDirectoryName(iterationDir));
        var journal = root is null ? null : new FleetLayout(root).JournalFile;
        var arm = root is null ? null : FleetRuns.Load(new FleetLayout(root)).Arm;
        if (File.Exists(gateLog) || (journal is not null && File.Exists(journal)))
        {
            _store ??= await TelemetryStore.OpenAsync(databasePath, cancellationToken);
            var gates = GateTelemetry.ReadLog(gateLog, new RunTags(recording.Run, recording.Fleet) { Arm = arm }, PrivacyPolicy.Default)
                .Concat(journal is null ? [] : GateTelemetry.FromJournal(journal, PrivacyPolicy.Default))
                .ToList();
            await GateTelemetry.WriteAsync(_store, gates, cancellationToken);
        }

        if (!File.Exists(recording.LogFile) || recording.Worker.Provider == Provider.Command)
        {
            return;
        }

        _store ??= await TelemetryStore.OpenAsync(databasePath, cancellationToken);
        var spec = await SpecOfAsync(iterationDir, recording.Worker.Id, cancellationToken);
        var ingestor = new TelemetryIngestor(_store, time);

        // A gemini run was priced from the CLI's own session file: its calls are read from there, tagged as the log is.
        var exit = await Fleet.Workers.WorkerExitRecord.TryReadAsync(iterationDir, recording.Worker.Id, cancellationToken);
        string[] files = exit?.SessionFile is { } sessionFile && File.Exists(sessionFile) ? [recording.LogFile, sessionFile] : [recording.LogFile];
        await ingestor.IngestAsync(files, new IngestOptions
        {
            Tags = new RunTags(recording.Run, recording.Fleet, recording.Worker.Id, recording.Iteration, SquadIssue(root), recording.Rehearsal) { Arm = arm },
            Model = recording.Worker.Model,
            CodexBaseline = spec?.CodexBaseline,
            ClaudeBaseline = spec?.ClaudeBaseline,
        }, cancellationToken);
    }

    /// <summary>How the shim started the run (its resumed session's baseline): <c>&lt;id&gt;.spec.json</c> beside the log; null when it cannot be read.</summary>
    private static async Task<Fleet.Workers.WorkerLaunchSpec?> SpecOfAsync(string iterationDir, string worker, CancellationToken cancellationToken)
    {
        var path = Path.Combine(iterationDir, worker + ".spec.json");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return await Fleet.Workers.WorkerLaunchSpec.ReadAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>In team mode a squad's fleet root says which issue it works on: every record of its workers carries it.</summary>
    private static string? SquadIssue(string? root)
    {
        if (root is null || !File.Exists(Team.SquadDefinition.PathIn(root)))
        {
            return null;
        }

        try
        {
            return "#" + Team.SquadDefinition.Load(root).Issue.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Every gate of a fleet root (the orchestrator calls it when it stops: the last escalation or pause is journaled after the last worker ended).</summary>
    public async Task RecordGatesAsync(string root, CancellationToken cancellationToken)
    {
        var gates = GateTelemetry.ReadRoot(root, PrivacyPolicy.Default);
        if (gates.Count == 0)
        {
            return;
        }

        _store ??= await TelemetryStore.OpenAsync(databasePath, cancellationToken);
        await GateTelemetry.WriteAsync(_store, gates, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
