namespace Fleet.Paths;

/// <summary>
/// Where fleet keeps per-user state (logs, the fleet registry, the telemetry store), following the
/// XDG base directory spec. <c>FLEET_HOME</c> overrides all of it, which is what tests use.
/// </summary>
public sealed class UserDirs(Func<string, string?> getEnvironmentVariable)
{
    public static UserDirs FromProcess { get; } = new(Environment.GetEnvironmentVariable);

    /// <summary>State that outlives a run: logs, the fleet registry.</summary>
    public string StateDir => Resolve("XDG_STATE_HOME", Path.Combine(".local", "state"));

    /// <summary>Data the user keeps: the telemetry store.</summary>
    public string DataDir => Resolve("XDG_DATA_HOME", Path.Combine(".local", "share"));

    /// <summary>The user's settings: <c>notify.json</c>.</summary>
    public string ConfigDir => Resolve("XDG_CONFIG_HOME", ".config");

    /// <summary>The agent CLIs <c>fleet setup</c> installs (an npm prefix): <c>$XDG_DATA_HOME/fleet/tools</c>.</summary>
    public string ToolsDir => Path.Combine(DataDir, "tools");

    /// <summary>Internal-error logs, one file per failure.</summary>
    public string LogDir => Path.Combine(StateDir, "logs");

    private string Resolve(string xdgVariable, string homeRelative)
    {
        if (getEnvironmentVariable("FLEET_HOME") is { Length: > 0 } fleetHome)
        {
            return Path.GetFullPath(fleetHome);
        }

        if (getEnvironmentVariable(xdgVariable) is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "fleet");
        }

        var home = getEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, homeRelative, "fleet");
    }
}
