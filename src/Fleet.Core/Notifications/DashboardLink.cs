using System.Globalization;
using System.Text.Json;
using Fleet.Paths;

namespace Fleet.Notifications;

/// <summary>The dashboard's address for events: <c>$XDG_STATE_HOME/fleet/dashboard.json</c> while <c>fleet dashboard</c> runs.</summary>
public static class DashboardLink
{
    public static string PathFor(UserDirs dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        return Path.Combine(dirs.StateDir, "dashboard.json");
    }

    /// <summary>The URL, or null when no dashboard runs (no file, a file that does not parse, or its process is gone).</summary>
    public static string? Read(UserDirs dirs)
    {
        try
        {
            var path = PathFor(dirs);
            if (!File.Exists(path) || JsonSerializer.Deserialize(File.ReadAllText(path), NotificationJsonContext.Default.DashboardAddress) is not { Url: { Length: > 0 } url } address)
            {
                return null;
            }

            // A dashboard that died without removing its file leaves a dead link: better none.
            var alive = address.Pid is not { } pid || Directory.Exists(Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture)));
            return alive && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? url : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
