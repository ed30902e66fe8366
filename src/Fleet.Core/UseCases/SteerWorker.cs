using System.Globalization;
using Fleet.State;
using Fleet.Telemetry.Privacy;
using Fleet.Workers;

namespace Fleet.UseCases;

/// <param name="Action"><c>say</c>, <c>say_now</c> or <c>interrupt</c>, as journaled.</param>
/// <param name="HandedAt">When the shim wrote it to the agent's input.</param>
/// <param name="Steers">How many times the worker has been steered in this iteration, this one included.</param>
public sealed record SteerWorkerResult(string Worker, int Iteration, string Action, DateTimeOffset HandedAt, int Steers);

/// <summary>
/// <c>fleet say</c> and <c>fleet interrupt</c>: a person's message or interrupt, handed to a running worker's agent by
/// its shim (<see cref="SteerLink"/>), then journaled (<c>worker_steered</c>). It goes to the shim directly, so it works
/// whether or not the orchestrator runs. A worker that is not running is a refusal naming its state (exit 2).
/// </summary>
public sealed class SteerWorker(FleetHost host)
{
    public const string Say = "say";
    public const string SayNow = "say_now";
    public const string Interrupt = "interrupt";

    /// <summary>How long a remote shim has to take a message from its steering folder (it looks every 250 ms).</summary>
    private static readonly TimeSpan RemoteWait = TimeSpan.FromSeconds(30);

    /// <summary>Hands <paramref name="message"/> to the worker's agent; with <paramref name="now"/> its current turn is interrupted first.</summary>
    public Task<SteerWorkerResult> SayAsync(string root, string worker, string message, bool now, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            throw new FleetOperationException("the message is empty: fleet say ROOT WORKER MESSAGE…");
        }

        return SteerAsync(root, worker, new SteerRequest { Say = message, Now = now }, now ? SayNow : Say, message, cancellationToken);
    }

    /// <summary>Stops the worker's current turn; its agent stays alive and waits for <c>fleet say</c>.</summary>
    public Task<SteerWorkerResult> InterruptAsync(string root, string worker, CancellationToken cancellationToken) =>
        SteerAsync(root, worker, new SteerRequest { Interrupt = true }, Interrupt, null, cancellationToken);

    private async Task<SteerWorkerResult> SteerAsync(string root, string worker, SteerRequest request, string action, string? message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(worker);
        var layout = FleetRoots.Existing(Path.GetFullPath(root, host.CurrentDirectory), root);
        var (state, iteration, token) = Locate(layout, root, worker);
        var iterationDir = layout.IterationDir(iteration);
        // A slurm worker's shim runs on a node: the abstract socket does not reach it, the shared steering folder does.
        var reply = ShimLiveness.SlurmJobOf(iterationDir, worker, WorkerClaim.TryRead(iterationDir, worker)) is not null
            ? await SteerLink.SendThroughFilesAsync(SteerLink.MailboxDir(iterationDir, worker), request, host.Time, RemoteWait, cancellationToken)
            : await SteerLink.SendAsync(token, request, cancellationToken)
                ?? throw new FleetOperationException($"worker {worker} is running, but its shim takes no messages (only claude and codex workers can be steered)");
        if (!reply.Ok)
        {
            throw new FleetOperationException($"worker {worker}: not delivered: {reply.Error}");
        }

        var handedAt = reply.HandedAt ?? host.Time.GetUtcNow();
        await new Journal(layout.JournalFile, host.Time).AppendAsync(
            new JournalEntry
            {
                Type = JournalTypes.WorkerSteered,
                Run = state.RunId,
                Worker = worker,
                Iteration = iteration,
                Reason = action,
                Message = message is null ? null : SecretMasker.Mask(message),
            },
            cancellationToken);
        return new SteerWorkerResult(worker, iteration, action, handedAt, state.Worker(worker, iteration).Steers + 1);
    }

    /// <summary>The running worker's iteration and token; a refusal naming its state when it is not running.</summary>
    internal static (RunState State, int Iteration, string Token) Locate(FleetLayout layout, string displayRoot, string worker)
    {
        var state = FleetRuns.Load(layout);
        var latest = state.Workers.Where(w => w.Worker == worker).MaxBy(w => w.Iteration);
        if (latest is null)
        {
            throw new FleetOperationException($"no worker \"{worker}\" has run in {displayRoot}");
        }

        var iteration = latest.Iteration;
        if (latest.Status != WorkerStatus.Started)
        {
            var when = latest.Status == WorkerStatus.Limited && latest.LimitedUntil is { } until
                ? " (it continues at " + until.ToString("u", CultureInfo.InvariantCulture) + ")"
                : string.Empty;
            throw new FleetOperationException($"worker {worker} is not running: it is {Describe(latest.Status)} in iteration {iteration}{when}");
        }

        var claim = WorkerClaim.TryRead(layout.IterationDir(iteration), worker);
        if (claim?.Exit is not null || File.Exists(layout.ExitFile(iteration, worker)))
        {
            throw new FleetOperationException($"worker {worker} is not running: its agent has ended (iteration {iteration})");
        }

        if (claim?.Agent is not { } agent || claim.Token is not { } token)
        {
            throw new FleetOperationException($"worker {worker} is not running yet: it is starting (iteration {iteration}); try again in a moment");
        }

        // A remote agent's pid names a process of its node, not of this machine: its shared files say whether it ended.
        var dir = layout.IterationDir(iteration);
        if (ShimLiveness.SlurmJobOf(dir, worker, claim) is null ? !agent.IsAlive : !ShimLiveness.FilesOnly.IsAlive(dir, worker, claim))
        {
            throw new FleetOperationException($"worker {worker} is not running: its agent (pid {agent.Pid}) has ended (iteration {iteration})");
        }

        return (state, iteration, token);
    }

    private static string Describe(WorkerStatus status) => status switch
    {
        WorkerStatus.Pending => "pending",
        WorkerStatus.Limited => "waiting out a usage limit",
        _ => status.ToString().ToLowerInvariant(),
    };
}
