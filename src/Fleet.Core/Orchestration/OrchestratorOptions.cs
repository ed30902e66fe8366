using Fleet.Limits;
using Fleet.Spec;
using Fleet.Workers;

namespace Fleet.Orchestration;

public sealed record OrchestratorOptions
{
    public required ResolvedFleet Fleet { get; init; }

    public required IWorkerSpawner Spawner { get; init; }

    /// <summary>Starts the shims of workers with placement slurm (<see cref="Spawning.SlurmSpawner"/>); null when the fleet has none.</summary>
    public IWorkerSpawner? SlurmSpawner { get; init; }

    /// <summary>Reads slurm workers' job states: their shims' liveness is their jobs', not a /proc entry.</summary>
    public Placement.SlurmClient? Slurm { get; init; }

    /// <summary>The argv that runs fleet itself (e.g. <c>[dotnet, /path/fleet.dll]</c>); the shim is this plus <c>worker --spec FILE</c>.</summary>
    public required IReadOnlyList<string> FleetCommand { get; init; }

    public WorkerRunOptions WorkerOptions { get; init; } = new();

    public IWorkspace? Workspace { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A safety net under the file-system events: how often to look at the files anyway.</summary>
    public TimeSpan SafetyPoll { get; init; } = TimeSpan.FromSeconds(2);

    public Action<string>? Log { get; init; }

    public IRunRecorder? Recorder { get; init; }

    /// <summary>Told (never awaited) when a journal entry or a gate request may have made an event.</summary>
    public Notifications.Notifier? Notifier { get; init; }

    /// <summary>How long limited workers wait (<see cref="Limits.LimitWait"/>).</summary>
    public LimitPolicy LimitPolicy { get; init; } = LimitPolicy.Default;
}
