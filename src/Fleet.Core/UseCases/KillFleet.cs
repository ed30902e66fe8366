using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Processes;
using Fleet.State;

namespace Fleet.UseCases;

/// <param name="Root">The fleet root, absolute.</param>
/// <param name="DisplayRoot">The root as the person gave it, for messages.</param>
public sealed record KillFleetRequest(string Root, string DisplayRoot)
{
    /// <summary>One worker; null: the orchestrator, every worker and the fleet's tmux session.</summary>
    public string? Worker { get; init; }

    /// <summary>SIGKILL at once instead of SIGINT, then SIGTERM, then SIGKILL.</summary>
    public bool Force { get; init; }
}

/// <param name="Actions">What was stopped or closed, in order; empty when nothing was running.</param>
public sealed record KillFleetResult(string? Worker, IReadOnlyList<KillAction> Actions);

/// <summary>
/// <c>fleet kill</c>: a person's hard stop of a worker, or of the whole fleet (its orchestrator, every process its workers
/// started, its tmux session).
/// </summary>
public sealed class KillFleet(FleetHost host)
{
    // Short enough that the whole kill, orchestrator included, ends within about 10 s even when every process ignores SIGINT and SIGTERM.
    private static readonly StopLadder Ladder = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

    public async Task<KillFleetResult> RunAsync(KillFleetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var layout = FleetRoots.Existing(request.Root, request.DisplayRoot);
        var worker = request.Worker;
        if (worker is not null && FleetRuns.Load(layout).Workers.All(w => w.Worker != worker) && FleetKiller.Claims(layout).All(c => c.Worker != worker))
        {
            throw new FleetOperationException($"no worker \"{worker}\" has run in {request.DisplayRoot}");
        }

        var actions = await FleetKiller.KillAsync(layout, worker, request.Force, Ladder, host.Time, cancellationToken);
        if (worker is not null)
        {
            return new KillFleetResult(worker, actions);
        }

        if (FleetRuns.Load(layout).FleetName is { } name)
        {
            // The windows stay open after their workers end (remain-on-exit): a kill closes them too. Only this root's
            // session: a server shared through FLEET_TMUX_SOCKET may hold other fleets' sessions.
            var session = TmuxSession.ForFleet(name, layout.Root, host.GetEnvironmentVariable(TmuxServer.SocketVariable));
            if (await session.KillAsync(cancellationToken))
            {
                actions = [.. actions, new KillAction($"tmux session {session.Name}", "closed")];
            }

            if (!(await session.Server.RunAsync(["list-sessions"], cancellationToken)).Succeeded)
            {
                await session.Server.KillServerAsync(cancellationToken);
            }
        }

        // The killed fleet stays in the user's list (fleet ls shows it killed); a pause asked for it no longer applies.
        File.Delete(layout.PausedFile);
        return new KillFleetResult(null, actions);
    }
}
