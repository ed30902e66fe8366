using Fleet.Spec;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>One ended worker, for the flight recorder.</summary>
public sealed record WorkerRecording(string? Run, string Fleet, ResolvedWorker Worker, int Iteration, string LogFile, WorkerExitRecord Record)
{
    /// <summary>The run was a rehearsal (fleet's scripted endpoint): its usage is tagged, and no spend.</summary>
    public bool Rehearsal { get; init; }
}
