using System.Security.Cryptography;
using System.Text;
using Fleet.Paths;

namespace Fleet.State;

/// <summary>
/// What tells one fleet from another: its root, with symlinks resolved; never its name alone, since two roots may
/// share a <c>fleet_name</c>. Everything a fleet owns outside its root is named from here: its registry entry, and
/// its tmux server and session.
/// </summary>
public static class FleetIdentity
{
    /// <summary>The most characters of a fleet's name kept in its tmux names: a socket path has room for about 100 bytes.</summary>
    public const int MaxNameInTmux = 32;

    /// <summary>The root's key: 16 hex digits of the SHA-256 of its real path.</summary>
    public static string KeyOf(string root) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(RealPath.Of(root))))[..16];

    /// <summary>
    /// The fleet's tmux socket and session name, <c>fleet-&lt;name&gt;-&lt;8 hex of the root's key&gt;</c>: the name for
    /// people, the key so that two roots never share a server or a session. tmux turns '.' and ':' in a session name into
    /// '_' (they separate windows and panes in targets), so this does it first and the name is exactly what tmux shows.
    /// </summary>
    public static string TmuxName(string fleetName, string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(fleetName);
        var name = fleetName.Length > MaxNameInTmux ? fleetName[..MaxNameInTmux] : fleetName;
        return $"fleet-{name.Replace('.', '_').Replace(':', '_')}-{KeyOf(root)[..8]}";
    }
}
