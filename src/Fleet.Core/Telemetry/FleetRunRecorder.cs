using Fleet.Orchestration;
using Fleet.Paths;
using Fleet.Spec;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;

namespace Fleet.Telemetry;

/// <summary>
/// The orchestrator's link to the flight recorder: when a worker ends, its stream log goes into the telemetry
/// store tagged with the run, fleet, worker and iteration. A recording failure is reported, never fatal.
/// </summary>
public sealed class FleetRunRecorder(string databasePath, TimeProvider time) : IRunRecorder, IAsyncDisposable
{
    private TelemetryStore? _store;

    public static FleetRunRecorder ForUser(UserDirs dirs, TimeProvider time) => new(TelemetryStore.DefaultPath(dirs), time);

    public async Task RecordAsync(WorkerRecording recording, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recording);
        if (!File.Exists(recording.LogFile) || recording.Worker.Provider == Provider.Command)
        {
            return;
        }

        _store ??= await TelemetryStore.OpenAsync(databasePath, cancellationToken);
        var ingestor = new TelemetryIngestor(_store, time);
        await ingestor.IngestAsync([recording.LogFile], new IngestOptions
        {
            Tags = new RunTags(recording.Run, recording.Fleet, recording.Worker.Id, recording.Iteration),
            Model = recording.Worker.Model,
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
