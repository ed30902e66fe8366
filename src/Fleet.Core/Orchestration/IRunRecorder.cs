namespace Fleet.Orchestration;

/// <summary>Records ended workers (the flight recorder); called off the path from one worker's end to the next one's start.</summary>
public interface IRunRecorder
{
    Task RecordAsync(WorkerRecording recording, CancellationToken cancellationToken);
}
