using System.Globalization;

namespace Fleet.Processes;

/// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> that supervision needs.</summary>
/// <param name="Pid">Field 1.</param>
/// <param name="Command">Field 2, without its parentheses (the kernel truncates it to 15 bytes).</param>
/// <param name="State">Field 3: R, S, D, Z (zombie), T, X …</param>
/// <param name="ParentPid">Field 4.</param>
/// <param name="ProcessGroupId">Field 5 (pgrp).</param>
/// <param name="SessionId">Field 6.</param>
/// <param name="StartTime">Field 22: clock ticks after boot. With the pid, it names one process for the machine's uptime.</param>
public sealed record ProcStat(int Pid, string Command, char State, int ParentPid, int ProcessGroupId, int SessionId, ulong StartTime)
{
    /// <summary>True for a zombie or a dead entry: the process has ended even though /proc still shows it.</summary>
    public bool HasEnded => State is 'Z' or 'X' or 'x';

    /// <summary>Reads <c>/proc/&lt;pid&gt;/stat</c>; null when the process does not exist (or the file cannot be parsed).</summary>
    public static ProcStat? TryRead(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return TryParse(text);
    }

    /// <summary>Parses the text of a stat file. The command may hold spaces and parentheses, so the fields after it are found from the last ')'.</summary>
    public static ProcStat? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open <= 0 || close < open)
        {
            return null;
        }

        var rest = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // rest[0] is field 3 (state), so field n is rest[n - 3].
        if (rest.Length < 20
            || !int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || rest[0].Length != 1
            || !int.TryParse(rest[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            || !int.TryParse(rest[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pgrp)
            || !int.TryParse(rest[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var session)
            || !ulong.TryParse(rest[19], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime))
        {
            return null;
        }

        return new ProcStat(pid, text[(open + 1)..close], rest[0][0], ppid, pgrp, session, startTime);
    }
}
