namespace Fleet.Rehearsal;

/// <summary>A CLI the project needs was not found.</summary>
public sealed class AgentCliNotFoundException : Exception
{
    public AgentCliNotFoundException(string message)
        : base(message)
    {
    }

    public AgentCliNotFoundException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AgentCliNotFoundException()
    {
    }
}

/// <summary>
/// Finds the agent CLIs (<c>claude</c>, <c>codex</c>): first the project's pinned install in
/// <c>&lt;repo&gt;/.tools/npm/node_modules/.bin</c> (looked for in every folder up from the start folders),
/// then <c>PATH</c>.
/// </summary>
public static class AgentCliLocator
{
    /// <summary>The command that installs the pinned CLIs into the project.</summary>
    public const string InstallCommand = "bash scripts/install-npm-tools.sh";

    /// <summary>Where the install script puts the binaries, relative to the repository root.</summary>
    public static readonly string LocalBin = Path.Combine(".tools", "npm", "node_modules", ".bin");

    /// <summary>The full path of <paramref name="name"/>, or null.</summary>
    /// <param name="name"><c>claude</c> or <c>codex</c> (any executable name works).</param>
    /// <param name="startDirs">Folders to search up from; default: the app's base folder and the current folder.</param>
    /// <param name="pathVariable">The PATH to search; default: this process's PATH.</param>
    public static string? Find(string name, IEnumerable<string>? startDirs = null, string? pathVariable = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var start in startDirs ?? [AppContext.BaseDirectory, Environment.CurrentDirectory])
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, LocalBin, name);
                if (IsExecutable(candidate))
                {
                    return candidate;
                }
            }
        }

        foreach (var dir in (pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Like <see cref="Find"/>, but a missing CLI is an error that says how to install it.</summary>
    public static string Require(string name, IEnumerable<string>? startDirs = null, string? pathVariable = null) =>
        Find(name, startDirs, pathVariable) ?? throw new AgentCliNotFoundException(MissingMessage(name));

    public static string MissingMessage(string name) =>
        $"'{name}' was not found on PATH or in <repo>/{LocalBin.Replace('\\', '/')}; install the pinned agent CLIs with: {InstallCommand}";

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        return (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
