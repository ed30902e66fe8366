namespace Fleet.Telemetry;

/// <summary>A transcript file and the project it belongs to (Claude: the <c>projects/&lt;slug&gt;</c> folder).</summary>
public sealed record TranscriptPath(string Path, string? Project);

/// <summary>Where transcripts live and which files under a folder are transcripts.</summary>
public static class TranscriptDiscovery
{
    private static readonly string[] Extensions = [".jsonl", ".ndjson", ".chat.json", ".log"];

    /// <summary>
    /// Claude data folders, as ccusage and Claude Code resolve them: <c>CLAUDE_CONFIG_DIR</c> (comma-separated),
    /// else <c>~/.config/claude</c> and <c>~/.claude</c>; only the <c>projects</c> folder below each is read.
    /// </summary>
    public static IReadOnlyList<string> ClaudeRoots(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var dirs = env("CLAUDE_CONFIG_DIR") is { Length: > 0 } configured
            ? configured.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : env("HOME") is { Length: > 0 } home ? [Path.Combine(home, ".config", "claude"), Path.Combine(home, ".claude")] : [];
        return [.. dirs.Select(d => Path.Combine(d, "projects")).Where(Directory.Exists).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Codex data folders: <c>CODEX_HOME</c> (else <c>~/.codex</c>), its <c>sessions</c> and <c>archived_sessions</c>.</summary>
    public static IReadOnlyList<string> CodexRoots(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var home = env("CODEX_HOME") is { Length: > 0 } configured
            ? configured
            : env("HOME") is { Length: > 0 } h ? Path.Combine(h, ".codex") : null;
        return home is null ? [] : [.. new[] { Path.Combine(home, "sessions"), Path.Combine(home, "archived_sessions") }.Where(Directory.Exists)];
    }

    /// <summary>Gemini CLI's session folders: <c>GEMINI_CLI_HOME</c> (else the home folder), its <c>.gemini/tmp</c>.</summary>
    public static IReadOnlyList<string> GeminiRoots(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var home = env("GEMINI_CLI_HOME") is { Length: > 0 } configured ? configured : env("HOME");
        return home is { Length: > 0 } && Directory.Exists(Path.Combine(home, ".gemini", "tmp")) ? [Path.Combine(home, ".gemini", "tmp")] : [];
    }

    /// <summary>Files as given, and every transcript-looking file below folders; sorted, without duplicates.</summary>
    public static IReadOnlyList<TranscriptPath> Expand(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var found = new SortedDictionary<string, TranscriptPath>(StringComparer.Ordinal);
        foreach (var given in paths)
        {
            var full = Path.GetFullPath(given);
            if (File.Exists(full))
            {
                found[full] = new TranscriptPath(full, ProjectOf(full));
            }
            else if (Directory.Exists(full))
            {
                var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
                foreach (var file in Directory.EnumerateFiles(full, "*", options))
                {
                    if (Extensions.Any(e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                        found[file] = new TranscriptPath(file, ProjectOf(file));
                }
            }
            else
            {
                throw new FileNotFoundException($"{given}: no such file or folder", given);
            }
        }

        return [.. found.Values];
    }

    /// <summary>
    /// The project a file belongs to when its records do not say (a transcript's own working folder wins): a fleet
    /// worker log's fleet root (<c>ROOT/iterations/N/ID.log</c>, or an earlier run's <c>ROOT/.fleet/runs/RUN/iterations/N/ID.log</c>),
    /// a Claude transcript's folder right below <c>projects/</c>; else none. A file's folder name (a Codex day folder,
    /// an iteration number) is never a project.
    /// </summary>
    public static string? ProjectOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 3 && parts[^3] == "iterations" && int.TryParse(parts[^2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            var root = parts.Length - 3;
            if (root >= 3 && parts[root - 3] == ".fleet" && parts[root - 2] == "runs")
                root -= 3;
            return Path.DirectorySeparatorChar + string.Join(Path.DirectorySeparatorChar, parts[..root]);
        }

        var at = Array.LastIndexOf(parts, "projects");
        if (at >= 0 && at + 2 < parts.Length)
            return parts[at + 1];
        return null;
    }
}
