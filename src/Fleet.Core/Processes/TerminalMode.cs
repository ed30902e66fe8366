using System.Globalization;

namespace Fleet.Processes;

/// <summary>
/// Puts this process's stdin terminal in non-canonical mode (one key at a time, no echo, Ctrl+C a key rather than
/// SIGINT) and back, with <c>stty</c>. stty is pointed at our own fd 0 through <c>/proc</c>: the shim has no
/// controlling terminal (it runs under <c>setsid</c>), so <c>/dev/tty</c> would not name the window's terminal.
/// </summary>
public static class TerminalMode
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private static string Stdin => "/proc/" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "/fd/0";

    /// <summary>Sets the mode; returns the settings to restore (stty -g), or null when stty could not (the keys then come per line).</summary>
    public static async Task<string?> SetRawAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var saved = await RunAsync(["-g"], time, cancellationToken);
        if (saved is null || await RunAsync(["-icanon", "-echo", "-isig", "-ixon", "min", "1", "time", "0"], time, cancellationToken) is null)
        {
            return null;
        }

        return saved.Trim();
    }

    /// <summary>Puts back what <see cref="SetRawAsync"/> returned; a terminal that is gone is left alone.</summary>
    public static Task RestoreAsync(string saved, TimeProvider time) => RunAsync([saved], time, CancellationToken.None);

    private static async Task<string?> RunAsync(IReadOnlyList<string> args, TimeProvider time, CancellationToken cancellationToken)
    {
        var result = await new CommandRunner("stty").WithArguments(["-F", Stdin, .. args]).WithTimeout(Deadline, time).ExecuteBufferedAsync(cancellationToken);
        return result.Succeeded ? result.Stdout : null;
    }
}
