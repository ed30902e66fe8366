namespace Fleet.Paths;

/// <summary>A file or folder holding agent data that other local users may read; <see cref="Fix"/> is the command that makes it private.</summary>
public sealed record SharedAgentData(string Path, string Mode, string Fix);

/// <summary>
/// Finds agent data (the telemetry store, a fleet root's <c>.fleet</c> and <c>iterations</c>, the logs and registry)
/// that group or others can reach, for <c>fleet doctor</c>: places made before fleet set modes, or opened up by hand.
/// </summary>
public static class PrivacyAudit
{
    /// <summary>The places that exist and are not private, in the order given.</summary>
    public static IReadOnlyList<SharedAgentData> Find(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var found = new List<SharedAgentData>();
        foreach (var path in paths.Select(System.IO.Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            if (OperatingSystem.IsWindows() || !PrivateFiles.IsShared(path))
                continue;
            var mode = Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
            var fix = Directory.Exists(path) ? $"chmod -R go-rwx {Quote(path)}" : $"chmod go-rwx {Quote(path)}";
            found.Add(new SharedAgentData(path, mode, fix));
        }

        return found;
    }

    /// <summary>Where a fleet root keeps agent data.</summary>
    public static IEnumerable<string> RootPlaces(string root) =>
        [System.IO.Path.Combine(root, ".fleet"), System.IO.Path.Combine(root, "iterations")];

    private static string Quote(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+".Contains(c, StringComparison.Ordinal))
            ? path
            : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
