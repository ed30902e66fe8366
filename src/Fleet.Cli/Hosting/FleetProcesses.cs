using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Processes;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.State;

namespace Fleet.Cli.Hosting;

/// <summary>Starting the detached orchestrator, and the checks that must pass before anything starts.</summary>
internal static class FleetProcesses
{
    /// <summary>Where the agent CLIs are looked for: the project-local install near the fleet or near fleet itself, then PATH.</summary>
    public static IReadOnlyList<string> ToolSearchDirs(ICliConsole console, string root) =>
        [root, console.CurrentDirectory, AppContext.BaseDirectory];

    /// <summary>Every agent CLI the fleet needs is installed; otherwise a usage error that names the install command.</summary>
    public static void RequireAgentClis(ICliConsole console, ResolvedFleet fleet)
    {
        var missing = fleet.Workers.Select(w => w.Provider).Where(p => p != Provider.Command).Distinct()
            .Select(ProviderCatalog.ExecutableOf)
            .Where(name => AgentCliLocator.Find(name, ToolSearchDirs(console, fleet.Root)) is null)
            .ToList();
        if (missing.Count > 0)
        {
            throw new CliException(string.Join("; ", missing.Select(AgentCliLocator.MissingMessage)) + "; nothing was started");
        }
    }

    /// <summary>A worktree fleet needs its root inside a git repository with at least one commit to branch from.</summary>
    public static async Task RequireRepositoryAsync(ResolvedFleet fleet, string displayRoot, CancellationToken cancellationToken)
    {
        var git = new Fleet.Worktrees.GitCli();
        var head = await git.RunAsync(fleet.Root, ["rev-parse", "--verify", "--quiet", "HEAD"], cancellationToken);
        if (head.ExitCode != 0)
        {
            var inRepo = await git.RunAsync(fleet.Root, ["rev-parse", "--show-toplevel"], cancellationToken);
            throw new CliException(inRepo.ExitCode != 0
                ? $"a worktree fleet runs each task in a git worktree, but {displayRoot} is not inside a git repository (git init, and commit); nothing was started"
                : $"a worktree fleet branches from HEAD, but the repository of {displayRoot} has no commit yet; nothing was started");
        }
    }

    /// <summary>The spawner for a mode: from the flags at launch, from the journal when an orchestrator restarts.</summary>
    public static async Task<SpawnerChoice> SpawnerAsync(ICliConsole console, TmuxPreference preference, CancellationToken cancellationToken)
    {
        try
        {
            return await SpawnerSelector.SelectAsync(preference, console.GetEnvironmentVariable("PATH"), console.GetEnvironmentVariable(TmuxServer.SocketVariable), TimeProvider.System, cancellationToken);
        }
        catch (TmuxUnavailableException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>
    /// The root's <see cref="LaunchLock"/> for <c>fleet <paramref name="command"/></c>; a usage error naming the process
    /// that holds it (another launch or resume of the same root), nothing started.
    /// </summary>
    public static async Task<LaunchLock> TakeLaunchLockAsync(FleetLayout layout, string fleetName, string command, string displayRoot, TimeProvider time, CancellationToken cancellationToken)
    {
        var attempt = await LaunchLock.AcquireAsync(layout, command, time, cancellationToken);
        return attempt.Lock ?? throw new CliException(attempt.Holder is { } holder
            ? $"fleet \"{fleetName}\" is already being launched by pid {holder.Pid} (fleet {holder.Command}, since {holder.StartedAt.ToLocalTime():HH:mm:ss}); watch it with: fleet status {displayRoot}; nothing was started"
            : $"fleet \"{fleetName}\" is already being launched by another process (it holds {LaunchLock.PathFor(layout)}); watch it with: fleet status {displayRoot}; nothing was started");
    }

    /// <summary>Waits (at most 15 s) for an orchestrator that has finished its work to exit and release the root's lock.</summary>
    public static async Task WaitForOrchestratorExitAsync(FleetLayout layout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while ((OrchestratorInfo.Running(layout) is not null || FleetLock.IsHeld(layout)) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>
    /// Starts <c>fleet orchestrate ROOT</c> detached and waits until it has written its info (it does once it holds the
    /// root's lock). The info is enough: a fast orchestrator can finish a short run and exit between two looks, so it is
    /// not required to be seen alive. An orchestrator that stops before that (its error, <c>fleet: …</c>, in its log) is
    /// reported at once.
    /// </summary>
    public static async Task<OrchestratorInfo> StartOrchestratorAsync(ICliConsole console, FleetLayout layout, bool rehearse, TimeProvider time, CancellationToken cancellationToken)
    {
        var log = Path.Combine(layout.StateDir, FleetRuns.LaunchLog);
        var previous = OrchestratorInfo.TryRead(layout);
        string[] args = ["orchestrate", layout.Root, .. rehearse ? new[] { "--rehearse" } : []];
        var environment = new Dictionary<string, string?>();
        foreach (var name in new[] { "FLEET_HOME", "FLEET_COMMAND", "FLEET_TMUX_SOCKET" })
        {
            if (console.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        var logStart = File.Exists(log) ? new FileInfo(log).Length : 0;
        try
        {
            await DetachedProcess.StartAsync([.. SelfCommand.Argv(console), .. args], log, layout.Root, environment, time, cancellationToken);
        }
        catch (DetachedStartException e)
        {
            throw new CliException($"cannot start the orchestrator: {e.Message}", ExitCodes.Internal);
        }

        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (time.GetUtcNow() < deadline)
        {
            if (OrchestratorInfo.TryRead(layout) is { } info && info != previous)
            {
                return info;
            }

            if (ErrorLoggedSince(log, logStart) is { } error)
            {
                throw new CliException($"the orchestrator stopped: {error} (its log is {log})", ExitCodes.Internal);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }

        throw new CliException($"the orchestrator did not start within 30 s; its log is {log}", ExitCodes.Internal);
    }

    /// <summary>The first error line (<c>fleet: …</c>, as the CLI reports errors) written to the log after <paramref name="start"/>, or null.</summary>
    private static string? ErrorLoggedSince(string log, long start)
    {
        try
        {
            using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= start)
            {
                return null;
            }

            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.StartsWith("fleet: ", StringComparison.Ordinal))
                {
                    return line["fleet: ".Length..];
                }
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
