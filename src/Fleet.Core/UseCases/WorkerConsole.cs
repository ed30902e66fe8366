using System.Globalization;
using System.Text;
using Fleet.Gates.Inbox;
using Fleet.Processes;
using Fleet.State;
using Fleet.Steering;

namespace Fleet.UseCases;

/// <summary>Where a steering console reads from and writes to.</summary>
/// <param name="Input">The keyboard (a terminal) or a pipe.</param>
/// <param name="IsTerminal">True when <paramref name="Input"/> is a terminal: single keys, put in non-canonical mode for the run.</param>
/// <param name="Write">Writes text to the screen as is (no newline added); called from one task at a time.</param>
/// <param name="CanQuit">True in <c>fleet attach</c> (Ctrl+C leaves it); false in the worker's own window.</param>
/// <param name="By">Who answers gates (the user's name).</param>
public sealed record WorkerConsoleIo(Stream Input, bool IsTerminal, Action<string> Write, bool CanQuit, string By);

/// <summary>
/// The steering console of one running worker: a line typed goes to its agent as <c>fleet say</c> would
/// (<see cref="SteerWorker"/>: journaled, counted), and a gate of the worker that opens is shown with its exact request
/// and answered with one key (<see cref="AnswerGate"/>). It runs in the worker's tmux window (inside the shim, which
/// reads the window's keyboard) and in <c>fleet attach ROOT WORKER</c>. Nothing here can stop the worker: a failure is
/// shown and the console goes on, or ends; the agent is untouched either way.
/// </summary>
public sealed class WorkerConsole(FleetHost host)
{
    /// <summary>How often the console looks for a gate of its worker.</summary>
    public static readonly TimeSpan GatePoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled, the person quits, or (a terminal) the input ends.</summary>
    /// <returns>True when the person quit (Ctrl+C, Ctrl+D).</returns>
    public async Task<bool> RunAsync(string root, string worker, int iteration, WorkerConsoleIo io, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(io);
        var layout = new FleetLayout(root);
        var session = new Session(host, layout, worker, iteration, io);
        io.Write(ConsoleInput.Header(worker, io.IsTerminal, io.CanQuit) + "\n");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var saved = io.IsTerminal ? await TerminalMode.SetRawAsync(host.Time, stop.Token) : null;
        var gates = session.WatchGatesAsync(stop.Token);
        try
        {
            return await session.ReadAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            await stop.CancelAsync();
            await gates;
            if (saved is not null)
            {
                await TerminalMode.RestoreAsync(saved, host.Time);
            }
        }
    }

    private sealed class Session(FleetHost host, FleetLayout layout, string worker, int iteration, WorkerConsoleIo io)
    {
        private readonly Lock _lock = new();
        private readonly HashSet<string> _shown = new(StringComparer.Ordinal);
        private InboxGate? _pending;

        public async Task<bool> ReadAsync(CancellationToken cancellationToken)
        {
            var state = KeyState.Empty;
            var decoder = new UTF8Encoding(false).GetDecoder();
            var bytes = new byte[256];
            var chars = new char[512];
            var line = new StringBuilder();
            while (true)
            {
                // A terminal's read cannot be cancelled; it is abandoned instead (the process ends soon after).
                var read = await io.Input.ReadAsync(bytes, CancellationToken.None).AsTask().WaitAsync(cancellationToken);
                if (read == 0)
                {
                    // A pipe's end: its last line counts; a closed window's terminal: nothing more will come.
                    if (!io.IsTerminal && line.Length > 0)
                    {
                        await ActAsync(ConsoleInput.Line(line.ToString(), Pending()), cancellationToken);
                    }

                    return false;
                }

                var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
                for (var i = 0; i < count; i++)
                {
                    ConsoleAction action;
                    if (io.IsTerminal)
                    {
                        (state, action) = ConsoleInput.Key(state, chars[i], Pending(), io.CanQuit);
                    }
                    else if (chars[i] == '\n')
                    {
                        action = ConsoleInput.Line(line.ToString(), Pending());
                        line.Clear();
                    }
                    else
                    {
                        line.Append(chars[i]);
                        continue;
                    }

                    if (action.Kind == ConsoleActionKind.Quit)
                    {
                        return true;
                    }

                    await ActAsync(action, cancellationToken);
                }
            }
        }

        /// <summary>Shows each gate of the worker once, when it opens, and keeps the oldest open one as the keys' target.</summary>
        public async Task WatchGatesAsync(CancellationToken cancellationToken)
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    IReadOnlyList<InboxGate> open;
                    try
                    {
                        open = [.. GateInbox.List(layout).Where(g => g.State == InboxGateState.Open && g.Request.Worker == worker && g.Request.Iteration == iteration)];
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        open = [];
                    }

                    lock (_lock)
                    {
                        _pending = open.Count > 0 ? open[0] : null;
                    }

                    foreach (var gate in open.Where(g => _shown.Add(g.Id)))
                    {
                        io.Write(ConsoleInput.GatePrompt(gate.Id, KindOf(gate), gate.Request.Tool, gate.Request.Summary, io.IsTerminal) + "\n");
                    }

                    await Task.Delay(GatePoll, host.Time, cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private PendingGate Pending()
        {
            lock (_lock)
            {
                return _pending is { } gate ? KindOf(gate) : PendingGate.None;
            }
        }

        private static PendingGate KindOf(InboxGate gate) => gate.IsQuestion ? PendingGate.Question : PendingGate.Permission;

        private async Task ActAsync(ConsoleAction action, CancellationToken cancellationToken)
        {
            if (action.Echo is { } echo)
            {
                io.Write(echo);
            }

            try
            {
                var said = action.Kind switch
                {
                    ConsoleActionKind.Echo => Echo(action.Text),
                    ConsoleActionKind.Hint => Line(action.Text!.StartsWith("[fleet]", StringComparison.Ordinal) ? action.Text : "[fleet] " + action.Text),
                    ConsoleActionKind.Say or ConsoleActionKind.SayNow => Steered(await new SteerWorker(host).SayAsync(layout.Root, worker, action.Text!, action.Kind == ConsoleActionKind.SayNow, cancellationToken)),
                    ConsoleActionKind.Interrupt => Steered(await new SteerWorker(host).InterruptAsync(layout.Root, worker, cancellationToken)),
                    ConsoleActionKind.Approve or ConsoleActionKind.ApproveAlways or ConsoleActionKind.Deny or ConsoleActionKind.Answer => await AnswerAsync(action, cancellationToken),
                    _ => null,
                };
                if (said is not null)
                {
                    io.Write(said);
                }
            }
            catch (FleetOperationException e)
            {
                io.Write($"[fleet] not done: {e.Message}\n");
            }
#pragma warning disable CA1031 // A console failure is shown, never thrown: what runs in a worker's window must not end the worker.
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                io.Write($"[fleet] not done: {e.Message}\n");
            }
        }

        private async Task<string> AnswerAsync(ConsoleAction action, CancellationToken cancellationToken)
        {
            InboxGate? gate;
            lock (_lock)
            {
                gate = _pending;
            }

            if (gate is null)
            {
                return "[fleet] no gate of this worker is waiting\n";
            }

            var decision = action.Kind switch
            {
                ConsoleActionKind.Deny => GateKinds.Deny,
                ConsoleActionKind.Answer => GateKinds.Answer,
                _ => GateKinds.Allow,
            };
            var request = new AnswerGateRequest(layout.Root, layout.Root, gate.Id, decision, io.By)
            {
                Always = action.Kind == ConsoleActionKind.ApproveAlways,
                Message = action.Kind == ConsoleActionKind.Deny ? action.Text : null,
                Answers = action.Kind == ConsoleActionKind.Answer ? [action.Text!] : [],
            };
            var answered = await new AnswerGate(host).RunAsync(request, cancellationToken);
            lock (_lock)
            {
                if (_pending?.Id == gate.Id)
                {
                    _pending = null;
                }
            }

            return $"[fleet] {answered.Message}\n";
        }

        private static string Echo(string? text) => text ?? string.Empty;

        private static string Line(string text) => text + "\n";

        private static string Steered(SteerWorkerResult result) =>
            string.Create(CultureInfo.InvariantCulture, $"[fleet] {(result.Action == SteerWorker.Interrupt ? "interrupted" : "sent")} ({result.Worker} steered {result.Steers}×)\n");
    }
}
