using System.Globalization;
using Fleet.State;

namespace Fleet.Orchestration.Spawning;

/// <summary>One window of a fleet's session.</summary>
/// <param name="Id">tmux's window id (<c>@3</c>): a stable target, unlike a name.</param>
/// <param name="Name">The worker id.</param>
/// <param name="PaneDead">True when the window's program has ended (the window stays: <c>remain-on-exit</c>).</param>
/// <param name="PanePid">The pid of the window's program (the <c>setsid -w</c> wrapper of the shim).</param>
public sealed record TmuxWindow(string Id, string Name, bool PaneDead, int PanePid);

/// <summary>A fleet's tmux session, <c>fleet-&lt;name&gt;-&lt;root key&gt;</c> (<see cref="FleetIdentity.TmuxName"/>), on a <see cref="TmuxServer"/>.</summary>
public sealed class TmuxSession
{
    public TmuxSession(TmuxServer server, string name)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Server = server;
        Name = name;
    }

    public TmuxServer Server { get; }

    public string Name { get; }

    /// <summary>An exact-match target: a bare name would also match a longer session name that starts with it.</summary>
    public string Target => "=" + Name;

    /// <summary>The session of the fleet at <paramref name="root"/>: named from its root, so two roots with one name never share it.</summary>
    public static string NameFor(string fleetName, string root) => FleetIdentity.TmuxName(fleetName, root);

    /// <summary>The session of the fleet <paramref name="fleetName"/> at <paramref name="root"/>, on its server.</summary>
    public static TmuxSession ForFleet(string fleetName, string root, string? socketOverride, string program = "tmux", TimeProvider? timeProvider = null) =>
        new(TmuxServer.ForFleet(fleetName, root, socketOverride, program, timeProvider), NameFor(fleetName, root));

    public async Task<bool> ExistsAsync(CancellationToken cancellationToken) =>
        (await Server.RunAsync(["has-session", "-t", Target], cancellationToken)).Succeeded;

    /// <summary>The session's windows; empty when the session (or the server) does not exist.</summary>
    public async Task<IReadOnlyList<TmuxWindow>> ListWindowsAsync(CancellationToken cancellationToken)
    {
        var result = await Server.RunAsync(["list-windows", "-t", Target, "-F", "#{window_id}\t#{pane_dead}\t#{pane_pid}\t#{window_name}"], cancellationToken);
        if (!result.Succeeded)
        {
            return [];
        }

        var windows = new List<TmuxWindow>();
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', 4);
            if (parts.Length == 4)
            {
                _ = int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid);
                windows.Add(new TmuxWindow(parts[0], parts[3], parts[1] == "1", pid));
            }
        }

        return windows;
    }

    /// <summary>
    /// <c>fleet kill</c>'s tmux part: removes the session and its windows. tmux sends SIGHUP to each window's
    /// program, which is the <c>setsid -w</c> wrapper; the shims run in sessions of their own and are not
    /// stopped by this (stop their process groups first). False when there was no such session.
    /// </summary>
    public async Task<bool> KillAsync(CancellationToken cancellationToken) =>
        (await Server.RunAsync(["kill-session", "-t", Target], cancellationToken)).Succeeded;

    /// <summary>Closes one window (by <see cref="TmuxWindow.Id"/> or name).</summary>
    public async Task<bool> KillWindowAsync(string window, CancellationToken cancellationToken) =>
        (await Server.RunAsync(["kill-window", "-t", WindowTarget(window)], cancellationToken)).Succeeded;

    /// <summary>The visible text of a window (with <paramref name="history"/>, its scrollback too), lines joined by \n.</summary>
    public Task<string> CapturePaneAsync(string window, CancellationToken cancellationToken, bool history = false) =>
        Server.RunCheckedAsync(history ? ["capture-pane", "-p", "-J", "-S", "-", "-t", WindowTarget(window)] : ["capture-pane", "-p", "-J", "-t", WindowTarget(window)], cancellationToken);

    private string WindowTarget(string window) => window.StartsWith('@') ? window : $"{Target}:={window}";
}
