namespace Fleet.State;

/// <summary>What a person's pause does to a fleet, in their words: the fleet's type decides where it stops.</summary>
public static class PauseEffect
{
    /// <summary>An iterative fleet stops at its iteration's end; a dag or worktree fleet (one iteration) between workers.</summary>
    public static string Describe(string? fleetType, int iteration) => fleetType == "iterative"
        ? $"the fleet stops after iteration {iteration} ends (running workers finish)"
        : "the fleet starts no new worker; running workers finish, then it pauses";
}
