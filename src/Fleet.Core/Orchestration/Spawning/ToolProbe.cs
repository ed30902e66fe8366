using Fleet.Processes;

namespace Fleet.Orchestration.Spawning;

/// <summary>A program found (or not) and the version it reports.</summary>
/// <param name="Name">The program's name (<c>tmux</c>, <c>git</c>…).</param>
/// <param name="Path">Its full path; null when not found.</param>
/// <param name="Version">The first line it printed for its version query; null when not found or it failed.</param>
/// <param name="Error">Why the version could not be read (it was found but failed or hung).</param>
public sealed record ToolInfo(string Name, string? Path, string? Version, string? Error)
{
    public bool Found => Path is not null;

    /// <summary>Found and answered its version query.</summary>
    public bool Works => Path is not null && Version is not null;
}

/// <summary>Finds a program on a PATH and asks its version, with a deadline.</summary>
public static class ToolProbe
{
    /// <summary>Long enough for a node CLI that relaunches itself (gemini) on a loaded machine; a hung program still fails.</summary>
    public static readonly TimeSpan VersionTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The full path of an executable <paramref name="name"/> on <paramref name="pathVariable"/>, or null.</summary>
    public static string? FindOnPath(string name, string? pathVariable)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var dir in (pathVariable ?? string.Empty).Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs <c>PATH VERSIONARGS</c> (default <c>--version</c>); the first line it prints is the version.</summary>
    /// <param name="name">The program's name, for the report.</param>
    /// <param name="path">Its full path; null reports it missing.</param>
    /// <param name="pathVariable">The PATH the program itself runs with (a node script's <c>env node</c>).</param>
    /// <param name="versionArgs">The version query, e.g. <c>["-V"]</c> for tmux.</param>
    /// <param name="timeProvider">Time for the deadline.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    public static async Task<ToolInfo> ProbeAsync(string name, string? path, string? pathVariable, IReadOnlyList<string>? versionArgs, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return new ToolInfo(name, null, null, null);
        }

        var environment = pathVariable is null ? null : new Dictionary<string, string?> { ["PATH"] = pathVariable };
        var result = await new CommandRunner(path)
            .WithArguments(versionArgs ?? ["--version"])
            .WithEnvironment(environment)
            .WithTimeout(VersionTimeout, timeProvider)
            .ExecuteBufferedAsync(cancellationToken);
        var line = result.FirstLine;
        return result.Succeeded && line.Length > 0
            ? new ToolInfo(name, path, line, null)
            : new ToolInfo(name, path, null, result.ExitCode == -1 ? result.Stderr : $"`{name} {string.Join(' ', versionArgs ?? ["--version"])}` failed (exit {result.ExitCode}){(line.Length > 0 ? ": " + line : string.Empty)}");
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            return File.Exists(path)
                && (OperatingSystem.IsWindows()
                    || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
