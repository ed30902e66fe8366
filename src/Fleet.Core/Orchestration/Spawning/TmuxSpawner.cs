using Fleet.Processes;

namespace Fleet.Orchestration.Spawning;

/// <summary>
/// Starts each worker shim in a window of its fleet's tmux session, <c>fleet-&lt;name&gt;-&lt;root key&gt;</c>, so a person can
/// watch the readable view live (<c>fleet attach ROOT</c>) and read the final view after the worker ends.
/// <list type="bullet">
/// <item>The first spawn creates the session (detached) with the worker's window; later spawns add windows.
/// Given several arguments, tmux 3.3a execs the argv directly, no shell (measured; see <see cref="TmuxServer.Literal"/>
/// for the one exception it makes, a trailing <c>;</c>).</item>
/// <item><c>remain-on-exit on</c> is set globally on the fleet's own server, before the window exists, so even a
/// shim that ends at once leaves its window (a per-window option set afterwards could lose that race).</item>
/// <item>The window's program is <c>setsid -w SHIM…</c>: the shim runs in a session of its own. When a person
/// closes the window or the session, tmux hangs up the window's terminal and the kernel sends SIGHUP to that
/// terminal's session: a shim run directly would die there (measured), leaving its agent without a reader
/// and no exit.json. Under <c>setsid</c> only the wrapper gets SIGHUP; the shim runs on, its writes to the
/// closed terminal fail (EIO) and switch the view off, and it still writes its files.</item>
/// <item>The tmux server is the windows' parent and daemonizes itself, so workers outlive the orchestrator.</item>
/// </list>
/// A window keeps the worker's id as its name; a new iteration first removes the worker's finished
/// window, so <c>SESSION:&lt;worker&gt;</c> names one window, the latest.
/// </summary>
#pragma warning disable CA1001 // The gate's wait handle is never used, so the semaphore holds nothing to dispose.
public sealed class TmuxSpawner : IWorkerSpawner
#pragma warning restore CA1001
{
    /// <summary>The size of a detached session's windows until a person attaches (then tmux resizes them).</summary>
    public const int Width = 200;
    public const int Height = 50;

    private readonly string _program;
    private readonly string? _socketName;
    private readonly string? _configFile;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _sessionsChecked = new(StringComparer.Ordinal);

    /// <param name="socketName">One tmux socket for every fleet; null gives each fleet root its own server, <c>-L fleet-&lt;name&gt;-&lt;root key&gt;</c> (see <see cref="TmuxServer"/>).</param>
    /// <param name="program">tmux, or its full path.</param>
    /// <param name="configFile">tmux's <c>-f</c> when fleet starts the server; null for the person's own config (tests pass /dev/null).</param>
    /// <param name="timeProvider">Time for the tmux command deadlines.</param>
    public TmuxSpawner(string? socketName = null, string program = "tmux", string? configFile = null, TimeProvider? timeProvider = null)
    {
        _socketName = socketName;
        _program = program;
        _configFile = configFile;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The session the workers of the fleet at <paramref name="root"/> are spawned into.</summary>
    public TmuxSession SessionFor(string fleetName, string root) =>
        new(new TmuxServer(_program, TmuxServer.SocketFor(fleetName, root, _socketName), _configFile, _timeProvider), TmuxSession.NameFor(fleetName, root));

    public async Task<SpawnedWorker> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ShimArgv.Count == 0)
        {
            throw new ArgumentException("The shim argv is empty.", nameof(request));
        }

        var argv = ResolveArgv(request);
        var session = SessionFor(request.FleetName, request.Root);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ForgetEarlierRunAsync(session, cancellationToken);

            // The previous iteration's window of this worker, if it has ended: the new one replaces it.
            foreach (var old in await session.ListWindowsAsync(cancellationToken))
            {
                if (old.Name == request.Worker && old.PaneDead)
                {
                    await session.KillWindowAsync(old.Id, cancellationToken);
                }
            }

            string[] options = ["set-option", "-g", "remain-on-exit", "on", ";", "set-option", "-g", "allow-rename", "off", ";"];
            var exists = await session.ExistsAsync(cancellationToken);
            var result = exists
                ? await session.Server.RunAsync([.. options, .. NewWindow(session, request, argv)], cancellationToken)
                : await session.Server.RunAsync([.. options, .. NewSession(session, request, argv)], cancellationToken);
            if (!exists && !result.Succeeded && result.Stderr.Contains("duplicate session", StringComparison.Ordinal))
            {
                // Another orchestrator created it meanwhile: add the window instead.
                result = await session.Server.RunAsync([.. options, .. NewWindow(session, request, argv)], cancellationToken);
            }

            if (!result.Succeeded)
            {
                throw new WorkerSpawnException($"tmux could not open a window for worker {request.Worker} in session {session.Name} (socket {session.Server.SocketName ?? "default"}): {result.Stderr.Trim()}");
            }

            return new SpawnedWorker("tmux", $"{session.Name}:{request.Worker}");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// On this spawner's first spawn into a fleet: a session whose windows have all ended is an earlier run's.
    /// It is removed (no worker runs in it) so that its server, started then, ends with it and the new windows
    /// get this launch's environment. A session with a live window (a restarted orchestrator) is kept.
    /// </summary>
    private async Task ForgetEarlierRunAsync(TmuxSession session, CancellationToken cancellationToken)
    {
        if (!_sessionsChecked.Add(session.Name))
        {
            return;
        }

        var windows = await session.ListWindowsAsync(cancellationToken);
        if (windows.Count > 0 && windows.All(w => w.PaneDead))
        {
            await session.KillAsync(cancellationToken);
        }
    }

    private static List<string> NewSession(TmuxSession session, SpawnRequest request, IReadOnlyList<string> argv) =>
    [
        "new-session", "-d", "-s", session.Name, "-n", TmuxServer.Literal(request.Worker), "-c", TmuxServer.Literal(request.Root),
        "-x", Width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-y", Height.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--", .. argv.Select(TmuxServer.Literal),
    ];

    private static List<string> NewWindow(TmuxSession session, SpawnRequest request, IReadOnlyList<string> argv) =>
    [
        "new-window", "-d", "-t", session.Target + ":", "-n", TmuxServer.Literal(request.Worker), "-c", TmuxServer.Literal(request.Root),
        "--", .. argv.Select(TmuxServer.Literal),
    ];

    /// <summary>
    /// <c>setsid -w SHIM…</c> with both programs as full paths: the window's program is looked up with the tmux
    /// server's PATH, which may not be ours, and a missing program must fail here, not in a window nobody reads.
    /// </summary>
    private static string[] ResolveArgv(SpawnRequest request)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        try
        {
            var setsid = ExecutableResolver.Resolve("setsid", request.Root, path);
            var shim = ExecutableResolver.Resolve(request.ShimArgv[0], request.Root, path);
            return [setsid, "-w", shim, .. request.ShimArgv.Skip(1)];
        }
        catch (AgentStartException e)
        {
            throw new WorkerSpawnException($"cannot start worker {request.Worker}: {e.Message}", e);
        }
    }
}
