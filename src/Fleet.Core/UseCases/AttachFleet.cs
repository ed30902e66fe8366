using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Fleet.Orchestration.Spawning;
using Fleet.Spec;

namespace Fleet.UseCases;

/// <summary>
/// <c>fleet attach</c>: opens a fleet's tmux session (its workers' windows) on the caller's terminal, which tmux
/// inherits, until the person detaches. A fleet without a session is a refusal that says where its views are.
/// </summary>
public sealed class AttachFleet(FleetHost host)
{
    /// <param name="fleet">The fleet whose session to attach.</param>
    /// <param name="say">Lines for the person before tmux takes the terminal (the attach command, a nested-client hint).</param>
    /// <param name="window">A worker whose window to open; null for the session's current one.</param>
    /// <returns>tmux's exit code.</returns>
    public async Task<int> RunAsync(ResolvedFleet fleet, Func<string, Task> say, CancellationToken cancellationToken, string? window = null)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(say);
        var tmuxPath = ToolProbe.FindOnPath("tmux", host.GetEnvironmentVariable("PATH"));
        var session = TmuxSession.ForFleet(fleet.Name, fleet.Root, host.GetEnvironmentVariable(TmuxServer.SocketVariable), tmuxPath ?? "tmux");
        if (tmuxPath is null || !await session.ExistsAsync(cancellationToken))
        {
            var why = tmuxPath is null
                ? "tmux is not on PATH"
                : $"there is no tmux session {session.Name} (socket {session.Server.SocketName})";
            throw new FleetOperationException($"fleet \"{fleet.Name}\" has no windows to attach to: {why}; its workers run in the background (or it is not running). {Views(fleet.Root)}");
        }

        var argv = window is null
            ? session.Server.Argv("attach-session", "-t", session.Target)
            : session.Server.Argv("attach-session", "-t", session.Target, ";", "select-window", "-t", $"{session.Target}:={window}");
        var start = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        if (host.GetEnvironmentVariable("TMUX") is { Length: > 0 })
        {
            // tmux refuses to attach from inside tmux unless TMUX is unset; the fleet's server is another server.
            start.Environment.Remove("TMUX");
            await say("fleet: inside tmux: attaching a nested client (press your prefix key twice to reach the fleet's session)");
        }

        await say($"fleet: {session.Server.AttachCommandText(session.Name)}");
        try
        {
            using var tmux = Process.Start(start)!;
            await tmux.WaitForExitAsync(cancellationToken);
            return tmux.ExitCode;
        }
        catch (Win32Exception e)
        {
            throw new FleetOperationException($"cannot run tmux: {e.Message}");
        }
    }

    /// <summary>Where a background fleet's views are: the latest iteration's shim logs.</summary>
    public static string Views(string root)
    {
        var iterations = Path.Combine(root, "iterations");
        var latest = Directory.Exists(iterations)
            ? Directory.EnumerateDirectories(iterations)
                .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
                .DefaultIfEmpty(0)
                .Max()
            : 0;
        if (latest == 0)
        {
            return $"Its views will be in {Path.Combine(iterations, "N", "<id>.shim.log")}.";
        }

        var dir = Path.Combine(iterations, latest.ToString(CultureInfo.InvariantCulture));
        var logs = Directory.EnumerateFiles(dir, "*.shim.log").Order(StringComparer.Ordinal).ToList();
        return logs.Count == 0
            ? $"Its views are in {Path.Combine(iterations, "N", "<id>.shim.log")} (none yet in {dir})."
            : $"Its views are in: {string.Join(", ", logs)} (follow one with: tail -f FILE)";
    }
}
