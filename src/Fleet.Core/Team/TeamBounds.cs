namespace Fleet.Team;

/// <summary>How many squads of a wave run at once when the person does not say (<c>team run --max-squads</c>).</summary>
public static class SquadBound
{
    /// <summary>A squad runs one agent at a time; its agents wait on the model most of the time, so two share a core.</summary>
    public const int SquadsPerCore = 2;

    /// <summary>One agent CLI (a node process for claude) with the squad's orchestrator and worker shim.</summary>
    public const long MemoryPerSquad = 1L << 30;

    /// <summary>Left to the system, the team orchestrator and whatever else the machine runs.</summary>
    public const long MemoryReserve = 2L << 30;

    /// <summary>The bound from a machine's cores and memory: the smaller of what each allows, at least one.</summary>
    public static int Default(int cores, long memoryBytes)
    {
        var byCores = (long)Math.Max(1, cores) * SquadsPerCore;
        var byMemory = Math.Max(0, memoryBytes - MemoryReserve) / MemoryPerSquad;
        return (int)Math.Clamp(Math.Min(byCores, byMemory), 1, 1024);
    }

    /// <summary>The bound for this machine (its cores and the memory this process may use, container limits included).</summary>
    public static int ForThisMachine() => Default(Environment.ProcessorCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
}

/// <summary>
/// A team-wide cost cap (<c>team run --cost-cap</c>) as squads' own caps: each squad's fleet gets a share of what is left,
/// and its orchestrator checks that share before each spawn as any fleet checks its cost cap, so the team's cap holds
/// across squads that run at once.
/// </summary>
public static class TeamBudget
{
    /// <summary>
    /// The cost cap a starting squad's fleet gets, or null when the team's cap leaves nothing (the squad is not started).
    /// </summary>
    /// <param name="teamCap">The team's cap.</param>
    /// <param name="committed">What ended squads spent plus the caps of the squads still running (all they may spend).</param>
    /// <param name="sharers">The squads that may start now, this one included: what is left is split evenly among them.</param>
    /// <param name="squadCap">The plan's cap per squad, if any: a share never exceeds it.</param>
    public static decimal? SquadCap(decimal teamCap, decimal committed, int sharers, decimal? squadCap)
    {
        var left = teamCap - committed;
        if (left <= 0)
        {
            return null;
        }

        var share = Math.Round(left / Math.Max(1, sharers), 4, MidpointRounding.ToZero);
        if (share <= 0)
        {
            return null;
        }

        return squadCap is { } cap ? Math.Min(cap, share) : share;
    }
}
