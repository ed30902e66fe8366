using Fleet.Spec;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>One ended worker, for the flight recorder.</summary>
public sealed record WorkerRecording(string? Run, string Fleet, ResolvedWorker Worker, int Iteration, string LogFile, WorkerExitRecord Record);
