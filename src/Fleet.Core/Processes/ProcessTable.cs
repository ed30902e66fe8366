using System.Globalization;
using System.Text;

namespace Fleet.Processes;

/// <summary>
/// One pass over <c>/proc</c>: every process's stat, and which carry a given environment entry. Processes come and go
/// while it is read, so it is a snapshot of a moving table: callers that act on it re-check identities (pid plus start
/// time) before they signal.
/// </summary>
public sealed class ProcessTable
{
    private ProcessTable(IReadOnlyList<ProcStat> processes) => Processes = processes;

    public IReadOnlyList<ProcStat> Processes { get; }

    /// <summary>Reads <c>/proc/*/stat</c> now (processes that vanish during the read are left out).</summary>
    public static ProcessTable Capture()
    {
        var processes = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ProcStat.TryRead(pid) is { } stat)
            {
                processes.Add(stat);
            }
        }

        return new ProcessTable(processes);
    }

    /// <summary>
    /// The value of the environment variable <paramref name="name"/> for every process that has it. <c>/proc/PID/environ</c>
    /// is the environment the process was exec'd with (a process can replace it only by exec'ing again); processes whose
    /// environ we may not read (another user's) or that have ended (a zombie's is empty) are left out.
    /// </summary>
    public IReadOnlyDictionary<int, string> ValuesOf(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var prefix = Encoding.UTF8.GetBytes(name + "=");
        var found = new Dictionary<int, string>();
        foreach (var process in Processes)
        {
            if (!process.HasEnded && ReadEnviron(process.Pid) is { } environ && ValueIn(environ, prefix) is { } value)
            {
                found[process.Pid] = value;
            }
        }

        return found;
    }

    private static byte[]? ReadEnviron(int pid)
    {
        try
        {
            return File.ReadAllBytes(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/environ"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The value of the entry that starts with <paramref name="prefix"/> (NAME=) in a NUL-separated environ block; null when none does.</summary>
    internal static string? ValueIn(ReadOnlySpan<byte> environ, ReadOnlySpan<byte> prefix)
    {
        while (!environ.IsEmpty)
        {
            var end = environ.IndexOf((byte)0);
            var entry = end < 0 ? environ : environ[..end];
            if (entry.StartsWith(prefix))
            {
                return Encoding.UTF8.GetString(entry[prefix.Length..]);
            }

            environ = end < 0 ? [] : environ[(end + 1)..];
        }

        return null;
    }
}
