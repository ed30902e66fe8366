using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;

namespace Fleet.UseCases;

/// <summary>Starting the detached orchestrator of a root, under the root's launch lock.</summary>
public static class OrchestratorStart
{
    /// <summary>What the orchestrator inherits of the environment of whoever started it.</summary>
    private static readonly string[] Inherited = ["FLEET_HOME", "FLEET_COMMAND", "FLEET_TMUX_SOCKET", "FLEET_NOTIFY_RETRY_SECONDS", "SLURM_CONF", Rehearsal.RehearsalOptions.ListenVariable];

    /// <summary>
    /// The root's <see cref="LaunchLock"/> for <c>fleet <paramref name="command"/></c>; a refusal naming the process that
    /// holds it (another launch or resume of the same root), nothing started.
    /// </summary>
    public static async Task<LaunchLock> TakeLaunchLockAsync(FleetLayout layout, string fleetName, string command, string displayRoot, TimeProvider time, CancellationToken cancellationToken)
    {
        var attempt = await LaunchLock.AcquireAsync(layout, command, time, cancellationToken);
        return attempt.Lock ?? throw new FleetOperationException(attempt.Holder is { } holder
            ? $"fleet \"{fleetName}\" is already being launched by pid {holder.Pid} (fleet {holder.Command}, since {holder.StartedAt.ToLocalTime():HH:mm:ss}); watch it with: fleet status {displayRoot}; nothing was started"
            : $"fleet \"{fleetName}\" is already being launched by another process (it holds {LaunchLock.PathFor(layout)}); watch it with: fleet status {displayRoot}; nothing was started");
    }

    /// <summary>Waits (at most 15 s) for an orchestrator that has finished its work to exit and release the root's lock.</summary>
    public static async Task WaitForExitAsync(FleetLayout layout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while ((OrchestratorInfo.Running(layout) is not null || FleetLock.IsHeld(layout)) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>
    /// Starts <c>FLEET_COMMAND orchestrate ROOT</c> detached and waits until it has written its info (it does once it holds
    /// the root's lock). The info is enough: a fast orchestrator can finish a short run and exit between two looks, so it
    /// is not required to be seen alive. An orchestrator that stops before that (its error, <c>fleet: …</c>, in its log) is
    /// reported at once.
    /// </summary>
    /// <param name="fleetCommand">The argv that runs fleet itself; only the front end knows it.</param>
    public static Task<OrchestratorInfo> StartAsync(FleetHost host, IReadOnlyList<string> fleetCommand, FleetLayout layout, bool rehearse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        string[] args = rehearse ? ["orchestrate", layout.Root, "--rehearse"] : ["orchestrate", layout.Root];
        return StartAsync(host, fleetCommand, layout, args, cancellationToken);
    }

    /// <summary>The same start for another orchestrator of a root (<paramref name="args"/> after the fleet command): a team run's.</summary>
    public static async Task<OrchestratorInfo> StartAsync(FleetHost host, IReadOnlyList<string> fleetCommand, FleetLayout layout, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(layout);
        var time = host.Time;
        var log = Path.Combine(layout.StateDir, FleetRuns.LaunchLog);
        var previous = OrchestratorInfo.TryRead(layout);
        var environment = new Dictionary<string, string?>();
        foreach (var name in Inherited)
        {
            if (host.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        var logStart = File.Exists(log) ? new FileInfo(log).Length : 0;
        try
        {
            await DetachedProcess.StartAsync([.. fleetCommand, .. args], log, layout.Root, environment, time, cancellationToken);
        }
        catch (DetachedStartException e)
        {
            throw new FleetOperationException(ExitCodes.Internal, $"cannot start the orchestrator: {e.Message}");
        }

        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (time.GetUtcNow() < deadline)
        {
            if (OrchestratorInfo.TryRead(layout) is { } info && info != previous)
            {
                return info;
            }

            if (ErrorLoggedSince(log, logStart) is { } error)
            {
                throw new FleetOperationException(ExitCodes.Internal, $"the orchestrator stopped: {error} (its log is {log})");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }

        throw new FleetOperationException(ExitCodes.Internal, $"the orchestrator did not start within 30 s; its log is {log}");
    }

    /// <summary>The first error line (<c>fleet: …</c>, as the CLI reports errors) written to the log after <paramref name="start"/>, or null.</summary>
    private static string? ErrorLoggedSince(string log, long start)
    {
        try
        {
            using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= start)
            {
                return null;
            }

            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.StartsWith("fleet: ", StringComparison.Ordinal))
                {
                    return line["fleet: ".Length..];
                }
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
