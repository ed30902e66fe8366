using System.Text;
using Fleet.Orchestration.Spawning;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.UseCases;

/// <summary>
/// <c>fleet attach ROOT WORKER</c>: one running worker, live, with its steering console (<see cref="WorkerConsole"/>).
/// A worker in a tmux window: that window is opened (it has the console). A worker in the background: its view
/// (<c>&lt;id&gt;.shim.log</c>) is followed here, with the same console, until the worker ends or the person leaves.
/// A worker that is unknown or not running is a refusal (exit 2).
/// </summary>
public sealed class AttachWorker(FleetHost host)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <param name="say">Lines for the person before tmux takes the terminal.</param>
    /// <returns>0 once the worker ended or the person left; tmux's exit code when its window was opened.</returns>
    public async Task<int> RunAsync(ResolvedFleet fleet, string worker, WorkerConsoleIo io, Func<string, Task> say, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(io);
        var layout = new FleetLayout(fleet.Root);
        var (_, iteration, _) = SteerWorker.Locate(layout, fleet.Root, worker);
        var tmuxPath = ToolProbe.FindOnPath("tmux", host.GetEnvironmentVariable("PATH"));
        if (tmuxPath is not null)
        {
            var session = TmuxSession.ForFleet(fleet.Name, fleet.Root, host.GetEnvironmentVariable(TmuxServer.SocketVariable), tmuxPath, host.Time);
            if (await session.ExistsAsync(cancellationToken)
                && (await session.ListWindowsAsync(cancellationToken)).Any(w => w.Name == worker && !w.PaneDead))
            {
                return await new AttachFleet(host).RunAsync(fleet, say, cancellationToken, worker);
            }
        }

        var view = Path.Combine(layout.IterationDir(iteration), worker + ".shim.log");
        if (!File.Exists(view))
        {
            throw new FleetOperationException($"worker {worker} is running, but it has no view to follow: neither a tmux window nor {view}");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var steer = new WorkerConsole(host).RunAsync(fleet.Root, worker, iteration, io, stop.Token);
        var follow = FollowAsync(view, layout, worker, iteration, io.Write, stop.Token);
        if (await Task.WhenAny(follow, steer) == steer && !await steer)
        {
            // The end of piped input: the view stays open until the worker ends.
            await follow;
        }

        await stop.CancelAsync();
        await Task.WhenAll(follow, steer);
        if (await follow)
        {
            io.Write($"[fleet] {worker} has ended; attach closes\n");
        }

        return ExitCodes.Success;
    }

    /// <summary>Writes the view as it grows, until the worker's outcome is recorded and the view is read to its end.</summary>
    /// <returns>True when the worker ended; false when the person left first.</returns>
    private async Task<bool> FollowAsync(string path, FleetLayout layout, string worker, int iteration, Action<string> write, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var decoder = new UTF8Encoding(false).GetDecoder();
            var bytes = new byte[16 * 1024];
            var chars = new char[bytes.Length + 4];
            while (true)
            {
                var ended = Ended(layout, worker, iteration);
                int read;
                while ((read = await stream.ReadAsync(bytes, cancellationToken)) > 0)
                {
                    var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
                    write(new string(chars, 0, count));
                }

                if (ended)
                {
                    return true;
                }

                await Task.Delay(Poll, host.Time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static bool Ended(FleetLayout layout, string worker, int iteration) =>
        File.Exists(layout.ExitFile(iteration, worker)) || WorkerClaim.TryRead(layout.IterationDir(iteration), worker) is { Exit: not null };
}
