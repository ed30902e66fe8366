using Fleet.Paths;
using Fleet.Spec;
using Fleet.Validation;

namespace Fleet.Notifications;

/// <summary>The channels in force for a fleet: fleet.json's <c>notify</c> merged over the user's <c>notify.json</c>.</summary>
/// <param name="Webhook">The URL events are POSTed to, or null.</param>
/// <param name="Command">The argv run per event with its JSON on stdin, or empty.</param>
/// <param name="Desktop">notify-send, when it is installed.</param>
/// <param name="Bell">The terminal bell while <c>--wait</c> follows the run.</param>
public sealed record NotifySettings(string? Webhook, IReadOnlyList<string> Command, bool Desktop, bool Bell)
{
    public static NotifySettings None { get; } = new(null, [], false, false);

    /// <summary>No channel the orchestrator delivers to (the bell is the follower's).</summary>
    public bool DeliversNothing => Webhook is null && Command.Count == 0 && !Desktop;

    /// <summary>
    /// Key by key, fleet.json wins: a key it sets replaces the user's (an empty webhook or command turns the user's
    /// off), a key it leaves out comes from the user's file; <c>user_defaults: false</c> ignores the user's file.
    /// </summary>
    public static NotifySettings Merge(NotifySpec? fleet, NotifySpec? user)
    {
        var inherited = fleet?.UserDefaults == false ? null : user;
        var webhook = fleet?.Webhook ?? inherited?.Webhook;
        var command = fleet?.Command ?? inherited?.Command;
        return new NotifySettings(
            webhook is { Length: > 0 } ? webhook : null,
            command ?? [],
            fleet?.Desktop ?? inherited?.Desktop ?? false,
            fleet?.Bell ?? inherited?.Bell ?? false);
    }

    /// <summary>The user's <c>notify.json</c> path: <c>$XDG_CONFIG_HOME/fleet/notify.json</c> (default <c>~/.config/fleet</c>).</summary>
    public static string UserFile(UserDirs dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        return Path.Combine(dirs.ConfigDir, "notify.json");
    }

    /// <summary>
    /// The user's <c>notify.json</c>: null when it does not exist. A file that is not valid gives its diagnostics
    /// (FILE:LINE:COL) and no settings: a broken default never fails a run, it is reported.
    /// </summary>
    public static (NotifySpec? Notify, IReadOnlyList<Diagnostic> Problems) ReadUserFile(UserDirs dirs)
    {
        var path = UserFile(dirs);
        if (InputFiles.KindOf(path) == FileKind.Missing)
        {
            return (null, []);
        }

        try
        {
            return FleetValidator.ValidateNotify(InputFiles.ReadText(path, path), path);
        }
        catch (InputFileException e)
        {
            return (null, [new Diagnostic(Severity.Error, path, e.Line ?? 1, e.Column ?? 1, "$", e.Reason)]);
        }
    }

    /// <summary>fleet.json's section merged over the user's file; the user file's problems as lines to log.</summary>
    public static (NotifySettings Settings, IReadOnlyList<string> Problems) Resolve(NotifySpec? fleet, UserDirs dirs)
    {
        if (fleet?.UserDefaults == false)
        {
            return (Merge(fleet, null), []);
        }

        var (user, problems) = ReadUserFile(dirs);
        return (Merge(fleet, user), [.. problems.Where(p => p.Severity == Severity.Error).Select(p => $"notify: {p} (the user's notify.json is ignored)")]);
    }
}
