using Fleet.DryRun;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Spec;
using Fleet.State;

namespace Fleet.UseCases;

/// <summary>A fleet to launch.</summary>
/// <param name="Fleet">The validated fleet.</param>
/// <param name="DisplayRoot">The root as the person gave it, for messages.</param>
/// <param name="FleetCommand">The argv that runs fleet itself (the orchestrator is <c>FLEET_COMMAND orchestrate ROOT</c>).</param>
public sealed record LaunchFleetRequest(ResolvedFleet Fleet, string DisplayRoot, IReadOnlyList<string> FleetCommand)
{
    /// <summary>Run the real agent CLIs against fleet's scripted model endpoint: no key, no spend.</summary>
    public bool Rehearse { get; init; }

    public TmuxPreference Tmux { get; init; } = TmuxPreference.Auto;

    /// <summary>
    /// The memory experiment's control arm: nothing carried from earlier runs (no doctrine in the briefs, no allow rules
    /// from .fleet/gates.json, no preconditions); fleet.json's own rules stay.
    /// </summary>
    public bool NoMemory { get; init; }
}

/// <summary>A launched fleet: its run, its orchestrator, how its workers run.</summary>
/// <param name="RehearsalFile">The rehearsal plays the root's own script (rehearsal.json) rather than the default.</param>
public sealed record LaunchFleetResult(string Run, FleetLayout Layout, OrchestratorInfo Orchestrator, SpawnerChoice Spawner, bool RehearsalFile)
{
    /// <summary>The run is the memory experiment's no-memory arm.</summary>
    public bool NoMemory { get; init; }
}

/// <summary>
/// <c>fleet launch</c>, and a squad's start in team mode: the checks (each failure a refusal, nothing started), the run's
/// start in the journal, the detached orchestrator, the fleet in the user's registry. From the authoritative look at the
/// run's state until the orchestrator holds the root's lock, this holds the root's <see cref="LaunchLock"/>, so two
/// launches of one root never both begin a run.
/// </summary>
public sealed class LaunchFleet(FleetHost host)
{
    /// <summary>
    /// What a launch would do, after the checks of everything it reads (the rehearsal script, the doctrine), so a dry run
    /// that passes means the launch's files do. Starts and writes nothing.
    /// </summary>
    /// <param name="codexAppServer">Whether codex workers would run under app-server; null asks the codex launch would use (app-server when none is found).</param>
    public static async Task<LaunchPlan> DryRunAsync(ResolvedFleet fleet, bool rehearse, bool? codexAppServer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        if (rehearse)
        {
            LaunchChecks.RehearsalScript(fleet);
        }

        LaunchChecks.ReadPreconditions(fleet);
        if (codexAppServer is null && fleet.Workers.Any(w => w.Provider == Provider.Codex))
        {
            var codex = Fleet.Rehearsal.AgentCliLocator.Find("codex", null, Environment.GetEnvironmentVariable("PATH"));
            codexAppServer = codex is null || await Fleet.Providers.CodexAppServerProbe.HasAppServerAsync(codex, cancellationToken);
        }

        return LaunchPlan.Create(fleet, codexAppServer ?? true);
    }

    public async Task<LaunchFleetResult> RunAsync(LaunchFleetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (fleet, displayRoot) = (request.Fleet, request.DisplayRoot);
        var layout = new FleetLayout(fleet.Root);

        // A quick look first, so a fleet that runs is reported as running rather than by a check its own run upsets. The
        // rest waits for the lock: without it, a run begun by a launch under way would look like one left unended.
        if (FleetRuns.Load(layout).Ended is null && OrchestratorInfo.Running(layout) is { } running)
        {
            throw AlreadyRunning(fleet, running, displayRoot);
        }

        // The checks that write nothing, before the lock (which creates .fleet/): a launch that fails them leaves the root as it was.
        LaunchChecks.RequireAgentClis(host, fleet);
        if (fleet.Type == FleetType.Worktree)
        {
            await LaunchChecks.RequireRepositoryAsync(fleet, displayRoot, cancellationToken);
        }

        if (request.Rehearse)
        {
            LaunchChecks.RehearsalScript(fleet);
            if (host.GetEnvironmentVariable(Rehearsal.RehearsalOptions.ListenVariable) is { Length: > 0 } listen && Rehearsal.RehearsalOptions.ParseListen(listen) is null)
            {
                throw new FleetOperationException($"{Rehearsal.RehearsalOptions.ListenVariable}={listen}: not an IP address (the rehearsal endpoint binds it, e.g. 10.0.0.5 or 0.0.0.0)");
            }
        }

        if (!request.NoMemory)
        {
            await LaunchChecks.RequirePreconditionsAsync(fleet, cancellationToken);
        }

        var spawner = await LaunchChecks.SpawnerAsync(host, request.Tmux, cancellationToken);
        using var launchLock = await OrchestratorStart.TakeLaunchLockAsync(layout, fleet.Name, "launch", displayRoot, host.Time, cancellationToken);
        await RequireNoRunAsync(layout, fleet, displayRoot, cancellationToken);
        var run = await FleetRuns.BeginAsync(layout, fleet.Name, fleet.Type.Name(), spawner.Mode, request.Rehearse, host.Time, cancellationToken, request.NoMemory);
        var orchestrator = await OrchestratorStart.StartAsync(host, request.FleetCommand, layout, request.Rehearse, cancellationToken);
        new FleetRegistry(host.UserDirs).Register(layout.Root, fleet.Name, host.Time);
        return new LaunchFleetResult(run, layout, orchestrator, spawner, request.Rehearse && File.Exists(layout.RehearsalFile)) { NoMemory = request.NoMemory };
    }

    /// <summary>No orchestrator runs at the root and its last run has ended (checked under the launch lock).</summary>
    private static async Task RequireNoRunAsync(FleetLayout layout, ResolvedFleet fleet, string displayRoot, CancellationToken cancellationToken)
    {
        // The last run has ended but its orchestrator may still be on its way out: that is not "running".
        if (FleetRuns.Load(layout).Ended is not null)
        {
            await OrchestratorStart.WaitForExitAsync(layout, cancellationToken);
        }

        if (OrchestratorInfo.Running(layout) is not null || FleetLock.IsHeld(layout))
        {
            throw AlreadyRunning(fleet, OrchestratorInfo.Running(layout), displayRoot);
        }

        var previous = FleetRuns.Load(layout);
        if (previous.RunId is not null && previous.Ended is null)
        {
            throw new FleetOperationException($"the last run of \"{fleet.Name}\" ({previous.RunId}) has not ended: continue it with fleet resume {displayRoot}, or end it with fleet kill {displayRoot}; nothing was started");
        }
    }

    private static FleetOperationException AlreadyRunning(ResolvedFleet fleet, OrchestratorInfo? running, string displayRoot)
    {
        var who = running is { } r ? $" (orchestrator pid {r.Pid}, since {r.StartedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss})" : string.Empty;
        return new FleetOperationException($"fleet \"{fleet.Name}\" is already running{who}; watch it with: fleet status {displayRoot}; nothing was started");
    }
}
