using Fleet.Rehearsal;

namespace Fleet.Orchestration.Spawning;

/// <summary>One program launch may use.</summary>
/// <param name="Tool">Where it is and its version.</param>
/// <param name="Required">Launch cannot work without it.</param>
/// <param name="Install">How to install it when missing.</param>
public sealed record ToolCheck(ToolInfo Tool, bool Required, string Install);

/// <summary>An API key variable: set or not, never its value.</summary>
/// <param name="Name">The variable.</param>
/// <param name="IsSet">True when set and not empty.</param>
/// <param name="Display">"not set", "set", or "set (sk-ant-…xyz masked)": the first 7 and last 3 characters of a long key only.</param>
public sealed record KeyCheck(string Name, bool IsSet, string Display);

/// <summary>The user's <c>notify.json</c>: its channels, or why it is ignored.</summary>
/// <param name="UserFile">Where it is looked for.</param>
/// <param name="Channels">webhook (its host only), command, desktop, bell: what every fleet gets unless its fleet.json says otherwise.</param>
/// <param name="Problems">FILE:LINE:COL diagnostics of a file that is not valid (it is then ignored).</param>
public sealed record NotifyCheck(string UserFile, IReadOnlyList<string> Channels, IReadOnlyList<string> Problems);

/// <summary>What <c>fleet doctor</c> found: what launch will do on this machine.</summary>
/// <param name="CodexAppServer">How codex workers run: under <c>codex app-server</c> (true), as <c>codex exec</c> where app-server is missing (false); null without codex.</param>
public sealed record MachineDiagnosis(IReadOnlyList<ToolCheck> Tools, bool InsideTmux, IReadOnlyList<KeyCheck> Keys, string Mode, string Reason, bool? CodexAppServer = null)
{
    /// <summary>The user's notification defaults (<c>notify.json</c>).</summary>
    public NotifyCheck Notify { get; init; } = new(string.Empty, [], []);

    /// <summary>Launch can work at all: every required program (git, sh, setsid) is there.</summary>
    public bool CanLaunch => Tools.All(t => !t.Required || t.Tool.Found);
}

/// <summary>Diagnoses the machine for launch: tmux, the agent CLIs, gh, git, the shell, the API keys.</summary>
public static class MachineDoctor
{
    public static readonly IReadOnlyList<string> KeyVariables = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"];

    /// <summary>Runs every check (the version queries in parallel, each with a short deadline).</summary>
    /// <param name="getEnvironmentVariable">The invocation's environment (PATH, TMUX, the keys, FLEET_TMUX_SOCKET).</param>
    /// <param name="agentSearchDirs">Where to look for a source checkout's pinned agent CLIs before the user's and PATH (see <see cref="AgentCliLocator"/>); null for its defaults. Outside a checkout the install hint is <c>fleet setup</c>.</param>
    /// <param name="timeProvider">Time for the deadlines.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public static async Task<MachineDiagnosis> DiagnoseAsync(Func<string, string?> getEnvironmentVariable, IEnumerable<string>? agentSearchDirs, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var path = getEnvironmentVariable("PATH") ?? string.Empty;
        var dirs = agentSearchDirs?.ToList();
        var userBin = AgentCliLocator.UserBin(new Paths.UserDirs(getEnvironmentVariable));
        var installAgents = AgentCliLocator.InstallCommand(dirs);
        const string apt = "sudo apt-get install ";

        Task<ToolInfo> Probe(string name, string? full, params string[] args) =>
            ToolProbe.ProbeAsync(name, full, path, args.Length == 0 ? null : args, timeProvider, cancellationToken);

        var choice = SpawnerSelector.SelectAsync(TmuxPreference.Auto, path, getEnvironmentVariable(TmuxServer.SocketVariable), timeProvider, cancellationToken);
        var checks = new (Task<ToolInfo> Probe, bool Required, string Install)[]
        {
            (Probe("git", ToolProbe.FindOnPath("git", path)), true, apt + "git"),
            (Probe("sh", ToolProbe.FindOnPath("sh", path), "-c", "echo works"), true, apt + "dash"),
            (Probe("setsid", ToolProbe.FindOnPath("setsid", path)), true, apt + "util-linux"),
            (Probe("claude", AgentCliLocator.Find("claude", dirs, path, userBin)), false, installAgents),
            (Probe("codex", AgentCliLocator.Find("codex", dirs, path, userBin)), false, installAgents),
            (Probe("gh", ToolProbe.FindOnPath("gh", path)), false, apt + "gh"),
            (Probe("notify-send", ToolProbe.FindOnPath("notify-send", path), "--version"), false, apt + "libnotify-bin"),
        };
        var spawner = await choice;
        var tools = new List<ToolCheck> { new(spawner.Tmux ?? new ToolInfo("tmux", null, null, null), false, SpawnerSelector.InstallTmux) };
        foreach (var (probe, required, install) in checks)
        {
            tools.Add(new ToolCheck(await probe, required, install));
        }

        var keys = KeyVariables.Select(name => Key(name, getEnvironmentVariable(name))).ToList();
        var codex = tools.FirstOrDefault(t => t.Tool.Name == "codex" && t.Tool.Works)?.Tool.Path;
        bool? appServer = codex is null ? null : await Fleet.Providers.CodexAppServerProbe.HasAppServerAsync(codex, cancellationToken);
        return new MachineDiagnosis(tools, getEnvironmentVariable("TMUX") is { Length: > 0 }, keys, spawner.Mode, spawner.Reason, appServer)
        {
            Notify = CheckNotify(new Paths.UserDirs(getEnvironmentVariable)),
        };
    }

    private static NotifyCheck CheckNotify(Paths.UserDirs dirs)
    {
        var (user, problems) = Notifications.NotifySettings.ReadUserFile(dirs);
        var settings = Notifications.NotifySettings.Merge(null, user);
        var channels = new List<string>();
        if (settings.Webhook is { } webhook)
        {
            channels.Add("webhook " + Notifications.UrlMask.Mask(webhook));
        }

        if (settings.Command.Count > 0)
        {
            channels.Add("command " + settings.Command[0]);
        }

        if (settings.Desktop)
        {
            channels.Add("desktop");
        }

        if (settings.Bell)
        {
            channels.Add("bell");
        }

        return new NotifyCheck(Notifications.NotifySettings.UserFile(dirs), channels, [.. problems.Select(p => p.ToString())]);
    }

    /// <summary>A key's display: never its value; a long key shows its first 7 and last 3 characters.</summary>
    public static KeyCheck Key(string name, string? value) => value switch
    {
        null or "" => new KeyCheck(name, false, "not set"),
        { Length: >= 24 } => new KeyCheck(name, true, $"set ({value[..7]}…{value[^3..]} masked)"),
        _ => new KeyCheck(name, true, "set"),
    };
}
