using System.Globalization;
using System.Text;
using Fleet.Orchestration.Spawning;

namespace Fleet.Team;

/// <summary>
/// A squad's tmux server: named after the repository, the team run and the issue (so two repositories with the same
/// issue numbers, or two runs of one repository, never share one), and closed when the squad's run ends unless a
/// person is attached to it. The views stay in the squad's shim logs, where <c>fleet attach</c> points.
/// </summary>
public static class SquadTmux
{
    /// <summary>
    /// A squad's fleet name, <c>&lt;repository&gt;-&lt;run tail&gt;-issue-&lt;n&gt;</c>: tmux names are cut at
    /// <see cref="State.FleetIdentity.MaxNameInTmux"/> characters, so the repository's part is shortened first and the
    /// issue is never cut.
    /// </summary>
    public static string FleetName(string repository, string run, int issue)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(run);
        var tail = Slug(run.Split('-')[^1]);
        var suffix = string.Create(CultureInfo.InvariantCulture, $"-{(tail.Length == 0 ? "run" : tail)}-issue-{issue}");
        var name = Slug(Path.GetFileName(Path.TrimEndingDirectorySeparator(repository)));
        var room = Math.Max(1, State.FleetIdentity.MaxNameInTmux - suffix.Length);
        name = name.Length == 0 ? "repo" : name.Length > room ? name[..room].TrimEnd('-', '.', '_') : name;
        return (name.Length == 0 ? "repo" : name) + suffix;
    }

    /// <summary>Lower-case letters, digits, '-', '_' and '.', starting with a letter or digit (a fleet id's alphabet).</summary>
    private static string Slug(string text)
    {
        var slug = new StringBuilder();
        foreach (var c in text.ToLowerInvariant())
        {
            slug.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' ? c : '-');
        }

        return slug.ToString().TrimStart('-', '_', '.');
    }

    /// <summary>
    /// Closes the squad's session, and its server once no session is left, unless a person's client is attached to
    /// the session (then both stay until they detach and kill it, or <c>fleet kill</c>). True when it closed them.
    /// </summary>
    public static async Task<bool> CloseUnlessAttachedAsync(string fleetName, string squadRoot, string? socketOverride, CancellationToken cancellationToken)
    {
        var session = TmuxSession.ForFleet(fleetName, squadRoot, socketOverride);
        if (!await session.ExistsAsync(cancellationToken))
        {
            return false;
        }

        var clients = await session.Server.RunAsync(["list-clients", "-t", session.Target, "-F", "#{client_pid}"], cancellationToken);
        if (clients.Succeeded && clients.Stdout.Trim().Length > 0)
        {
            return false;
        }

        await session.KillAsync(cancellationToken);
        if (!(await session.Server.RunAsync(["list-sessions"], cancellationToken)).Succeeded)
        {
            await session.Server.KillServerAsync(cancellationToken);
        }

        return true;
    }
}
