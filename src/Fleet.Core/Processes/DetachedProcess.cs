using System.Diagnostics;

namespace Fleet.Processes;

/// <summary>
/// Starts a process that outlives its starter, the terminal and Ctrl+C: its own session (<c>setsid -f</c>),
/// stdin from /dev/null, stdout and stderr appended to a log file, and no pipe back to the caller, so
/// <c>$(fleet launch …)</c> never waits on it. The small <c>sh</c> script is a constant; the argv travels
/// as arguments (<c>"$0" "$@"</c>), never pasted into a string.
/// </summary>
public static class DetachedProcess
{
    private const string Script = "exec \"$0\" \"$@\" </dev/null >>\"$FLEET_DETACHED_LOG\" 2>&1";

    public static async Task StartAsync(IReadOnlyList<string> argv, string logFile, IReadOnlyDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentException.ThrowIfNullOrEmpty(logFile);
        if (argv.Count == 0)
        {
            throw new ArgumentException("argv needs at least the program", nameof(argv));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        foreach (var arg in new[] { "-f", "sh", "-c", Script }.Concat(argv))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["FLEET_DETACHED_LOG"] = Path.GetFullPath(logFile);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }

        using var starter = Process.Start(psi) ?? throw new InvalidOperationException("setsid could not be started");

        // setsid -f forks and returns at once; its exit code says whether the fork worked.
        await starter.WaitForExitAsync(cancellationToken);
        if (starter.ExitCode != 0)
        {
            throw new InvalidOperationException($"setsid -f {argv[0]} failed with exit code {starter.ExitCode}; see {logFile}");
        }
    }
}
