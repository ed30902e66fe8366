using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Orchestration.Spawning;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet attach ROOT</c>: opens the fleet's tmux session (its workers' windows) on this terminal.</summary>
internal static class AttachCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root (the folder holding fleet.json)." };
        var command = new Command("attach", "Watch the workers' windows: attach to the fleet's tmux session (detach with the prefix key, then d).") { root };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = CommandHelpers.Validate(console, parse.GetValue(root)!);
            if (result.Fleet is not { } fleet)
            {
                await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
                throw new CliException($"{result.File}: not a valid fleet; cannot find its session");
            }

            var path = console.GetEnvironmentVariable("PATH");
            var tmuxPath = ToolProbe.FindOnPath("tmux", path);
            var socket = console.GetEnvironmentVariable(TmuxServer.SocketVariable);
            var session = TmuxSession.ForFleet(fleet.Name, fleet.Root, socket, tmuxPath ?? "tmux");
            if (tmuxPath is null || !await session.ExistsAsync(cancellationToken))
            {
                var why = tmuxPath is null
                    ? "tmux is not on PATH"
                    : $"there is no tmux session {session.Name} (socket {session.Server.SocketName})";
                throw new CliException($"fleet \"{fleet.Name}\" has no windows to attach to: {why}; its workers run in the background (or it is not running). {Views(fleet.Root)}");
            }

            var argv = session.Server.Argv("attach-session", "-t", session.Target);
            var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
            foreach (var arg in argv.Skip(1))
            {
                psi.ArgumentList.Add(arg);
            }

            if (console.GetEnvironmentVariable("TMUX") is { Length: > 0 })
            {
                // tmux refuses to attach from inside tmux unless TMUX is unset; the fleet's server is another server.
                psi.Environment.Remove("TMUX");
                await console.Error.WriteLineAsync("fleet: inside tmux: attaching a nested client (press your prefix key twice to reach the fleet's session)");
            }

            await console.Error.WriteLineAsync($"fleet: {session.Server.AttachCommandText(session.Name)}");
            try
            {
                using var tmux = Process.Start(psi)!;
                await tmux.WaitForExitAsync(cancellationToken);
                return tmux.ExitCode;
            }
            catch (Win32Exception e)
            {
                throw new CliException($"cannot run tmux: {e.Message}");
            }
        });
        return command;
    }

    /// <summary>Where a background fleet's views are: the latest iteration's shim logs.</summary>
    internal static string Views(string root)
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
