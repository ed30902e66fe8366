using Fleet.Doctrine;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.Worktrees;

namespace Fleet.UseCases;

/// <summary>What must hold before a fleet starts; each failure is a refusal (exit 2) that says what to do, nothing started.</summary>
public static class LaunchChecks
{
    /// <summary>Where the agent CLIs are looked for: a source checkout's install near the fleet or near fleet itself, then the user's (<c>fleet setup</c>), then PATH.</summary>
    public static IReadOnlyList<string> ToolSearchDirs(FleetHost host, string root)
    {
        ArgumentNullException.ThrowIfNull(host);
        return [root, host.CurrentDirectory, AppContext.BaseDirectory];
    }

    /// <summary>Every agent CLI the fleet needs is installed.</summary>
    public static void RequireAgentClis(FleetHost host, ResolvedFleet fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var dirs = ToolSearchDirs(host, fleet.Root);
        var userBin = AgentCliLocator.UserBin(host.UserDirs);
        var missing = fleet.Workers.Select(w => w.Provider).Where(p => p != Provider.Command).Distinct()
            .Select(ProviderCatalog.ExecutableOf)
            .Where(name => AgentCliLocator.Find(name, dirs, userBin: userBin) is null)
            .ToList();
        if (missing.Count > 0)
        {
            throw new FleetOperationException(string.Join("; ", missing.Select(name => AgentCliLocator.MissingMessage(name, dirs))) + "; nothing was started");
        }
    }

    /// <summary>A worktree fleet needs its root inside a git repository with at least one commit to branch from.</summary>
    public static async Task RequireRepositoryAsync(ResolvedFleet fleet, string displayRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var git = new GitCli();
        var head = await git.RunAsync(fleet.Root, ["rev-parse", "--verify", "--quiet", "HEAD"], cancellationToken);
        if (head.ExitCode != 0)
        {
            var inRepo = await git.RunAsync(fleet.Root, ["rev-parse", "--show-toplevel"], cancellationToken);
            throw new FleetOperationException(inRepo.ExitCode != 0
                ? $"a worktree fleet runs each task in a git worktree, but {displayRoot} is not inside a git repository (git init, and commit); nothing was started"
                : $"a worktree fleet branches from HEAD, but the repository of {displayRoot} has no commit yet; nothing was started");
        }
    }

    /// <summary>The script a rehearsal plays (the root's rehearsal.json, else the default).</summary>
    public static RehearsalScript RehearsalScript(ResolvedFleet fleet)
    {
        try
        {
            return FleetRehearsalScript.For(fleet);
        }
        catch (RehearsalScriptException e)
        {
            throw new FleetOperationException($"{e.Message}; nothing was started");
        }
    }

    /// <summary>The doctrine's step-0 preconditions (<c>.fleet/preconditions.json</c>), and the doctrine readable.</summary>
    public static IReadOnlyList<Precondition> ReadPreconditions(ResolvedFleet fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        try
        {
            // The doctrine is read at each spawn: an odd file there would fail every worker after the start.
            InputFiles.Exists(DoctrineFiles.Doctrine(fleet.Root), DoctrineFiles.DoctrineFileName);
            return DoctrineFiles.ReadPreconditions(fleet.Root);
        }
        catch (Exception e) when (e is InvalidDataException or InputFileException)
        {
            throw new FleetOperationException($"{e.Message}; nothing was started");
        }
    }

    /// <summary>The doctrine's preconditions hold, checked before anything is written or started.</summary>
    public static async Task RequirePreconditionsAsync(ResolvedFleet fleet, CancellationToken cancellationToken)
    {
        var preconditions = ReadPreconditions(fleet);
        if (await PreconditionCheck.FirstFailureAsync(fleet.Root, preconditions, cancellationToken) is { } failed)
        {
            throw new FleetOperationException($"{failed.Describe()}; nothing was started (the preconditions are in {DoctrineFiles.PreconditionsFileName})");
        }
    }

    /// <summary>The spawner for a mode: from the flags at launch, from the journal when an orchestrator restarts.</summary>
    public static async Task<SpawnerChoice> SpawnerAsync(FleetHost host, TmuxPreference preference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            return await SpawnerSelector.SelectAsync(preference, host.GetEnvironmentVariable("PATH"), host.GetEnvironmentVariable(TmuxServer.SocketVariable), host.Time, cancellationToken);
        }
        catch (TmuxUnavailableException e)
        {
            throw new FleetOperationException(e.Message);
        }
    }
}
