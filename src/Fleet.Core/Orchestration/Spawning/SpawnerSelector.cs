namespace Fleet.Orchestration.Spawning;

/// <summary>What the person asked for: <c>--tmux</c>, <c>--no-tmux</c>, or neither.</summary>
public enum TmuxPreference
{
    /// <summary>tmux when it is on PATH and answers <c>tmux -V</c>; otherwise the background.</summary>
    Auto,

    /// <summary><c>--tmux</c>: tmux or an error.</summary>
    Always,

    /// <summary><c>--no-tmux</c>: the background.</summary>
    Never,
}

/// <summary>The spawner launch will use, and why (shown by <c>fleet launch</c> and <c>fleet doctor</c>).</summary>
/// <param name="Spawner">The spawner to hand to the orchestrator.</param>
/// <param name="Mode"><c>tmux</c> or <c>background</c>, as in <see cref="SpawnedWorker.Mode"/>.</param>
/// <param name="Reason">One line for a person, e.g. "tmux 3.3a found".</param>
/// <param name="Tmux">What was found of tmux (null with <c>--no-tmux</c>: not looked for).</param>
public sealed record SpawnerChoice(IWorkerSpawner Spawner, string Mode, string Reason, ToolInfo? Tmux);

/// <summary>--tmux asked for tmux and it cannot be used; the message names the install command.</summary>
public sealed class TmuxUnavailableException : Exception
{
    public TmuxUnavailableException(string message)
        : base(message)
    {
    }

    public TmuxUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TmuxUnavailableException()
    {
    }
}

/// <summary>Decides how launch starts workers: in tmux windows, or as background daemons.</summary>
public static class SpawnerSelector
{
    public const string InstallTmux = "sudo apt-get install tmux";

    public const string BackgroundViews = "their views are in iterations/N/<id>.shim.log";

    /// <summary>Picks the spawner.</summary>
    /// <param name="preference">From the flags.</param>
    /// <param name="pathVariable">The PATH to look for tmux on (the launch's PATH).</param>
    /// <param name="socketOverride"><c>FLEET_TMUX_SOCKET</c>, or null for a server per fleet.</param>
    /// <param name="timeProvider">Time for the <c>tmux -V</c> deadline.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <exception cref="TmuxUnavailableException"><see cref="TmuxPreference.Always"/> and tmux is missing or broken.</exception>
    public static async Task<SpawnerChoice> SelectAsync(TmuxPreference preference, string? pathVariable, string? socketOverride, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        if (preference == TmuxPreference.Never)
        {
            return new SpawnerChoice(new BackgroundSpawner(timeProvider), "background", $"--no-tmux: workers run in the background; {BackgroundViews}", null);
        }

        var tmux = await ToolProbe.ProbeAsync("tmux", ToolProbe.FindOnPath("tmux", pathVariable), pathVariable, ["-V"], timeProvider, cancellationToken);
        if (tmux.Works)
        {
            var found = $"{tmux.Version} found";
            return new SpawnerChoice(
                new TmuxSpawner(socketOverride is { Length: > 0 } ? socketOverride : null, tmux.Path!, timeProvider: timeProvider),
                "tmux",
                preference == TmuxPreference.Always ? $"--tmux: {found}" : found,
                tmux);
        }

        var problem = tmux.Found ? $"tmux at {tmux.Path} does not work ({tmux.Error})" : "tmux not found on PATH";
        if (preference == TmuxPreference.Always)
        {
            throw new TmuxUnavailableException($"--tmux: {problem}; install it with: {InstallTmux} (or launch with --no-tmux); nothing was started");
        }

        return new SpawnerChoice(new BackgroundSpawner(timeProvider), "background", $"{problem}: workers run in the background; {BackgroundViews}", tmux);
    }
}
