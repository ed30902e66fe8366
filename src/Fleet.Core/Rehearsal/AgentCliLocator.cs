using Fleet.Paths;

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
/// Finds the agent CLIs (<c>claude</c>, <c>codex</c>): first a source checkout's pinned install in
/// <c>&lt;repo&gt;/.tools/npm/node_modules/.bin</c> (looked for in every folder up from the start folders), then the
/// user's, which <c>fleet setup</c> installs (<see cref="UserDirs.ToolsDir"/>), then <c>PATH</c>.
/// </summary>
public static class AgentCliLocator
{
    /// <summary>The command that installs the pinned CLIs into a source checkout.</summary>
    public const string SourceInstallCommand = "bash scripts/install-npm-tools.sh";

    /// <summary>The command that installs the pinned CLIs for the user, wherever fleet came from.</summary>
    public const string SetupCommand = "fleet setup";

    /// <summary>Where the install script puts the binaries, relative to the repository root.</summary>
    public static readonly string LocalBin = Path.Combine(".tools", "npm", "node_modules", ".bin");

    private static readonly string SourceInstallScript = Path.Combine("scripts", "install-npm-tools.sh");

    /// <summary>Where <c>fleet setup</c>'s CLIs are for the user of <paramref name="dirs"/>.</summary>
    public static string UserBin(UserDirs dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        return Path.Combine(dirs.ToolsDir, "node_modules", ".bin");
    }

    /// <summary>The full path of <paramref name="name"/>, or null.</summary>
    /// <param name="name"><c>claude</c> or <c>codex</c> (any executable name works).</param>
    /// <param name="startDirs">Folders to search up from; default: the app's base folder and the current folder.</param>
    /// <param name="pathVariable">The PATH to search; default: this process's PATH.</param>
    /// <param name="userBin">The folder <c>fleet setup</c> installs into; default: this process's user's (<see cref="UserBin"/>).</param>
    public static string? Find(string name, IEnumerable<string>? startDirs = null, string? pathVariable = null, string? userBin = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var start in startDirs ?? DefaultStartDirs())
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

        var user = Path.Combine(userBin ?? UserBin(UserDirs.FromProcess), name);
        if (IsExecutable(user))
        {
            return user;
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
    public static string Require(string name, IEnumerable<string>? startDirs = null, string? pathVariable = null, string? userBin = null) =>
        Find(name, startDirs, pathVariable, userBin) ?? throw new AgentCliNotFoundException(MissingMessage(name, startDirs));

    /// <summary>
    /// How to install the pinned CLIs from here: the source checkout's script when a start folder is inside one (its
    /// tests use that install), else <c>fleet setup</c>, which needs nothing but fleet and npm.
    /// </summary>
    public static string InstallCommand(IEnumerable<string>? startDirs = null) =>
        (startDirs ?? DefaultStartDirs()).Any(InsideSourceCheckout) ? SourceInstallCommand : SetupCommand;

    public static string MissingMessage(string name) => MissingMessage(name, null);

    public static string MissingMessage(string name, IEnumerable<string>? startDirs)
    {
        var dirs = startDirs?.ToList();
        return $"'{name}' was not found in fleet's tools folder, a source checkout's {LocalBin.Replace('\\', '/')} or on PATH; install the pinned agent CLIs with: {InstallCommand(dirs)}";
    }

    private static IEnumerable<string> DefaultStartDirs() => [AppContext.BaseDirectory, Environment.CurrentDirectory];

    private static bool InsideSourceCheckout(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SourceInstallScript)))
            {
                return true;
            }
        }

        return false;
    }

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
