using Fleet.Processes;
using System.Globalization;
using Fleet.State;

namespace Fleet.Orchestration.Spawning;

/// <summary>
/// One tmux server, named by its socket (<c>tmux -L NAME</c>), and the client commands fleet sends it.
/// <para>
/// fleet runs each fleet on a server of its own (socket <c>fleet-&lt;name&gt;-&lt;root key&gt;</c>, see
/// <see cref="FleetIdentity.TmuxName"/>: two roots with one name get two servers) rather than the person's
/// default server: the server's environment (which every window inherits) is the orchestrator's at launch,
/// not whatever a long-lived server captured days ago; fleet's global options (<c>remain-on-exit</c>) never
/// touch the person's own sessions; and <c>fleet kill</c> cannot reach anything but the fleet.
/// <c>FLEET_TMUX_SOCKET</c> names one socket for every fleet instead (tests use a private one).
/// </para>
/// </summary>
public sealed class TmuxServer
{
    /// <summary>The environment variable that overrides the socket for every fleet.</summary>
    public const string SocketVariable = "FLEET_TMUX_SOCKET";

    /// <summary>How long one tmux client command may take.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _timeProvider;

    /// <param name="program">tmux, or its full path.</param>
    /// <param name="socketName">The <c>-L</c> socket name; null for the person's default server.</param>
    /// <param name="configFile">The <c>-f</c> config file used when this server starts; null for tmux's default (the person's <c>~/.tmux.conf</c>).</param>
    /// <param name="timeProvider">Time for the command deadlines.</param>
    public TmuxServer(string program = "tmux", string? socketName = null, string? configFile = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (socketName is not null && (socketName.Length == 0 || socketName.Contains('/', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"'{socketName}' is not a tmux socket name (a plain name, no '/').", nameof(socketName));
        }

        Program = program;
        SocketName = socketName;
        ConfigFile = configFile;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public string Program { get; }

    public string? SocketName { get; }

    public string? ConfigFile { get; }

    /// <summary>The socket of the fleet at <paramref name="root"/>: <paramref name="socketOverride"/> when given, else <c>fleet-&lt;name&gt;-&lt;root key&gt;</c>.</summary>
    public static string SocketFor(string fleetName, string root, string? socketOverride) =>
        socketOverride is { Length: > 0 } ? socketOverride : FleetIdentity.TmuxName(fleetName, root);

    /// <summary>The server the windows of the fleet at <paramref name="root"/> live on.</summary>
    public static TmuxServer ForFleet(string fleetName, string root, string? socketOverride, string program = "tmux", TimeProvider? timeProvider = null) =>
        new(program, SocketFor(fleetName, root, socketOverride), timeProvider: timeProvider);

    /// <summary>The full argv of a tmux client command on this server: <c>tmux [-L socket] [-f conf] ARGS</c>.</summary>
    public IReadOnlyList<string> Argv(params IEnumerable<string> args)
    {
        var argv = new List<string> { Program };
        if (SocketName is not null)
        {
            argv.Add("-L");
            argv.Add(SocketName);
        }

        if (ConfigFile is not null)
        {
            argv.Add("-f");
            argv.Add(ConfigFile);
        }

        argv.AddRange(args);
        return argv;
    }

    /// <summary>The person's command to attach to <paramref name="session"/>, as text to show (not to run through a shell).</summary>
    public string AttachCommandText(string session) =>
        string.Join(' ', Argv("attach", "-t", session).Select((a, i) => i == 0 ? "tmux" : a));

    /// <summary>Runs one client command (or a sequence: pass <c>";"</c> between commands). Never throws for a failed command.</summary>
    public Task<CommandResult> RunAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var argv = Argv(args);

        // The first client starts the server, which keeps every descriptor it inherits for its whole life
        // (measured: a caller's pipe, fd 251, stayed open in the tmux server).
        InheritedDescriptors.MarkCloseOnExec();

        // A client started inside a person's tmux must not talk to (or nest into) that server by accident.
        var environment = new Dictionary<string, string?> { ["TMUX"] = null, ["TMUX_PANE"] = null };
        return CommandRunner.For(argv).WithEnvironment(environment).WithTimeout(CommandTimeout, _timeProvider).ExecuteBufferedAsync(cancellationToken);
    }

    /// <summary>Runs a command that must succeed; its stdout.</summary>
    public async Task<string> RunCheckedAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var list = args.ToList();
        var result = await RunAsync(list, cancellationToken);
        return result.Succeeded
            ? result.Stdout
            : throw new WorkerSpawnException(string.Create(CultureInfo.InvariantCulture, $"`{string.Join(' ', Argv(list))}` failed (exit {result.ExitCode}): {result.Stderr.Trim()}"));
    }

    /// <summary>
    /// Ends the whole server (every session on this socket) and removes its socket file, which tmux 3.3a leaves
    /// behind (measured). False when no server was running.
    /// </summary>
    public async Task<bool> KillServerAsync(CancellationToken cancellationToken)
    {
        var killed = (await RunAsync(["kill-server"], cancellationToken)).Succeeded;
        if (SocketPath is { } socket && !(await RunAsync(["list-sessions"], cancellationToken)).Succeeded)
        {
            try
            {
                File.Delete(socket);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return killed;
    }

    /// <summary>Where tmux puts this server's socket: <c>${TMUX_TMPDIR:-/tmp}/tmux-UID/NAME</c>; null when the uid cannot be read.</summary>
    public string? SocketPath
    {
        get
        {
            string status;
            try
            {
                status = File.ReadAllText("/proc/self/status");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            var uid = status.Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
            var dir = Environment.GetEnvironmentVariable("TMUX_TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp";
            return uid is null ? null : Path.Combine(dir, "tmux-" + uid, SocketName ?? "default");
        }
    }

    /// <summary>
    /// An argv element as a tmux command-sequence argument: tmux splits a sequence at any argument that ends in
    /// <c>;</c> (even after <c>--</c>, measured with 3.3a), so that semicolon is escaped as <c>\;</c>. Every other
    /// argument reaches the program unchanged (quotes, <c>$</c>, <c>~</c>, <c>#{…}</c>, spaces: all measured).
    /// </summary>
    public static string Literal(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        return argument.EndsWith(';') ? string.Concat(argument.AsSpan(0, argument.Length - 1), "\\;") : argument;
    }
}
