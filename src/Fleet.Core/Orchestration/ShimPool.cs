using System.Collections.Concurrent;
using System.Net.Sockets;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>
/// The orchestrator's end of the shim links (<see cref="ShimLink"/>). A shim started with the pool's name connects
/// and says which (worker, iteration) it claimed; once the orchestrator has read that worker's exit.json, the shim
/// is idle, and the next spawn hands it a launch spec instead of starting a new process: the dependent's agent
/// starts from a warm process, without the .NET start-up of a new shim (a third of a second of CPU each).
/// <para>
/// Nothing here is a source of truth. A hand-over is an ordinary spawn (journaled first, claimed exclusively by the
/// shim); a shim that goes away before it ran what it was handed is reported through <see cref="TryTakeLost"/>, so
/// the orchestrator starts a new shim for it, and the claim keeps that from ever running a worker twice. Idle shims
/// the run has no use for are let go (their link is closed and they exit); all are let go when the pool is disposed,
/// and when the orchestrator dies the kernel closes the links for it.
/// </para>
/// </summary>
internal sealed class ShimPool : IDisposable
{
    private readonly Socket _listener;
    private readonly Action _wake;
    private readonly Lock _lock = new();
    private readonly List<Link> _links = [];
    private readonly HashSet<(string Worker, int Iteration)> _ended = [];
    private readonly ConcurrentQueue<(string Worker, int Iteration)> _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    private ShimPool(Socket listener, string name, Action wake)
    {
        _listener = listener;
        _wake = wake;
        Name = name;
        _ = AcceptAsync();
    }

    /// <summary>The link name that goes into each launch spec (<see cref="WorkerLaunchSpec.LinkName"/>).</summary>
    public string Name { get; }

    /// <summary>Listens for shims; null when the socket cannot be made (then every spawn starts a new shim).</summary>
    /// <param name="wake">Called when a shim went away with work it had not run, so the orchestrator looks again.</param>
    public static ShimPool? TryStart(Action wake, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(wake);
        var name = $"fleet-shims-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(ShimLink.EndPointFor(name));
            listener.Listen(128);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            log?.Invoke($"shims are not reused (no link socket: {e.Message}); each worker starts a new one");
            return null;
        }

        return new ShimPool(listener, name, wake);
    }

    /// <summary>Shims that have ended their worker and wait for another.</summary>
    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _links.Count(l => l.Idle);
            }
        }
    }

    /// <summary>The orchestrator has read this worker's exit.json: the shim that ran it (if linked) is free now.</summary>
    public void Ended(string worker, int iteration)
    {
        lock (_lock)
        {
            _ended.Add((worker, iteration));
            foreach (var link in _links.Where(l => l.Current == (worker, iteration)))
            {
                link.Current = null;
            }
        }
    }

    /// <summary>Hands the spec to an idle shim; false when there is none (start a new shim instead).</summary>
    public bool TryAssign(string worker, int iteration, string specFile, string shimLog)
    {
        while (true)
        {
            Link? link;
            lock (_lock)
            {
                link = _links.FirstOrDefault(l => l.Idle);
                if (link is null)
                {
                    return false;
                }

                link.Current = (worker, iteration);
            }

            if (ShimLink.TrySend(link.Socket, new ShimLinkMessage { Spec = specFile, Log = shimLog }))
            {
                return true;
            }

            // That shim is gone; its Current is this assignment, which the caller is about to give to another.
            lock (_lock)
            {
                link.Current = null;
            }

            Drop(link);
        }
    }

    /// <summary>Lets idle shims beyond <paramref name="keep"/> go: their link closes and they exit.</summary>
    public void Trim(int keep)
    {
        List<Link> surplus;
        lock (_lock)
        {
            surplus = [.. _links.Where(l => l.Idle).Skip(Math.Max(0, keep))];
            _links.RemoveAll(surplus.Contains);
        }

        foreach (var link in surplus)
        {
            link.Socket.Dispose();
        }
    }

    /// <summary>A (worker, iteration) handed to a shim that went away or refused it: look at its files again.</summary>
    public bool TryTakeLost(out (string Worker, int Iteration) lost) => _lost.TryDequeue(out lost);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        List<Link> links;
        lock (_lock)
        {
            links = [.. _links];
            _links.Clear();
        }

        foreach (var link in links)
        {
            link.Socket.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (!Processes.PeerCredentials.IsSameUser(socket))
            {
                // The abstract namespace has no file permissions: the kernel's peer credentials are the check.
                socket.Dispose();
                continue;
            }

            var link = new Link(socket);
            lock (_lock)
            {
                _links.Add(link);
            }

            _ = ReadAsync(link, token);
        }
    }

    private async Task ReadAsync(Link link, CancellationToken token)
    {
        var reader = new ShimLink.LineReader(link.Socket);
        try
        {
            while (await reader.ReadAsync(token) is { } message)
            {
                if (message.Refused is not null)
                {
                    // Nothing ran: whatever this shim was handed must be looked at again.
                    (string, int)? refused;
                    lock (_lock)
                    {
                        refused = link.Current;
                        link.Current = null;
                        link.Spoke = true;
                    }

                    if (refused is { } r)
                    {
                        _lost.Enqueue(r);
                        _wake();
                    }
                }
                else if (message.Worker is { } worker && message.Iteration is { } iteration)
                {
                    lock (_lock)
                    {
                        // Its worker may have ended (and been read) before this line was: then the shim is idle, or
                        // already holds its next assignment, which this late line must not erase.
                        if (!_ended.Contains((worker, iteration)))
                        {
                            link.Current = (worker, iteration);
                        }
                        else if (link.Current == (worker, iteration))
                        {
                            link.Current = null;
                        }

                        link.Spoke = true;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Drop(link);
    }

    /// <summary>The shim is gone; what it was handed and had not finished is looked at again.</summary>
    private void Drop(Link link)
    {
        (string, int)? orphan;
        lock (_lock)
        {
            if (!_links.Remove(link))
            {
                return;
            }

            orphan = link.Current is { } c && !_ended.Contains(c) ? c : null;
        }

        link.Socket.Dispose();
        if (orphan is { } o && Volatile.Read(ref _disposed) == 0)
        {
            _lost.Enqueue(o);
            _wake();
        }
    }

    private sealed class Link(Socket socket)
    {
        public Socket Socket { get; } = socket;

        /// <summary>The worker it runs (or was handed); null when it has none.</summary>
        public (string Worker, int Iteration)? Current { get; set; }

        /// <summary>It has said which worker it claimed at least once: a shim still starting is not idle.</summary>
        public bool Spoke { get; set; }

        public bool Idle => Spoke && Current is null;
    }
}
