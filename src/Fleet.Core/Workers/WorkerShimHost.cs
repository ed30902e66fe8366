using System.Text;
using System.Text.Json;
using Fleet.Paths;

namespace Fleet.Workers;

/// <summary>
/// The worker shim's process (<c>fleet worker --spec FILE</c>): runs its first spec and, when the spec names a
/// <see cref="ShimLink"/>, stays linked to the orchestrator once that worker's exit.json is written, to run each
/// spec the orchestrator hands it, until the orchestrator closes the link (nothing left to hand over, the run
/// ended, or it died). Each run is a whole <see cref="WorkerShim.RunAsync(WorkerLaunchSpec, WorkerShimOptions, CancellationToken)"/>:
/// its own claim, logs and exit.json, exactly as in a new process.
/// </summary>
public static class WorkerShimHost
{
    /// <summary>Runs <paramref name="first"/> and then the handed-over specs; returns the last record written.</summary>
    /// <param name="first">The spec the process was started with; errors in it are the caller's (they throw, as <see cref="WorkerShim"/> does).</param>
    /// <param name="view">The first run's readable view (the process's stdout); later runs write theirs to the log the orchestrator names.</param>
    /// <param name="cancellationToken">Stops the running agent (the shim's stop ladder) or the wait for the next spec.</param>
    public static async Task<WorkerExitRecord> RunAsync(WorkerLaunchSpec first, TextWriter? view, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(first);
        using var link = first.LinkName is { } name ? ShimLink.TryConnect(name) : null;
        var record = await WorkerShim.RunAsync(first, Options(first, view, link), cancellationToken);
        if (link is null)
        {
            return record;
        }

        while (true)
        {
            ShimLinkMessage? next;
            try
            {
                next = await link.ReceiveAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return record;
            }

            if (next is null)
            {
                return record;
            }

            if (next.Spec is { } spec)
            {
                record = await RunHandedOverAsync(spec, next.Log, link, cancellationToken) ?? record;
            }
        }
    }

    private static async Task<WorkerExitRecord?> RunHandedOverAsync(string specFile, string? logFile, ShimLink link, CancellationToken cancellationToken)
    {
        WorkerLaunchSpec spec;
        try
        {
            spec = await WorkerLaunchSpec.ReadAsync(specFile, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException or InvalidDataException)
        {
            link.TrySend(new ShimLinkMessage { Refused = $"{specFile}: cannot read the worker spec: {e.Message}" });
            return null;
        }

        using var view = OpenView(logFile);
        var claimed = false;
        var options = Options(spec, view, link);
        try
        {
            return await WorkerShim.RunAsync(spec, options with { OnClaimed = () => { claimed = true; options.OnClaimed?.Invoke(); } }, cancellationToken);
        }
        catch (Exception e) when (!claimed && e is InvalidOperationException or ArgumentException)
        {
            // Its claim or exit.json exists (a (worker, iteration) runs once), or the spec is invalid: nothing ran.
            // Once claimed, a failure is not a refusal: the claim stays, and says whether an agent may have run.
            link.TrySend(new ShimLinkMessage { Worker = spec.Worker, Iteration = spec.Iteration, Refused = e.Message });
            view?.WriteLine($"[fleet] {spec.Worker} iteration {spec.Iteration} not run: {e.Message}");
            return null;
        }
    }

    private static WorkerShimOptions Options(WorkerLaunchSpec spec, TextWriter? view, ShimLink? link) =>
        WorkerStreams.OptionsFor(spec, view) with
        {
            OnClaimed = link is null ? null : () => link.TrySend(new ShimLinkMessage { Worker = spec.Worker, Iteration = spec.Iteration }),
        };

    /// <summary>The next worker's view, appended to its shim log; none when the log cannot be opened (the run matters more).</summary>
    private static StreamWriter? OpenView(string? path)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            var stream = PrivateFiles.Open(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
