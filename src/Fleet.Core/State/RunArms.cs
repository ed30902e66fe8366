namespace Fleet.State;

/// <summary>
/// The two arms of the memory experiment: a run with what earlier runs left (doctrine, the repository's allow rules,
/// preconditions, the previous retro), or one without (<c>--no-memory</c>), so the flywheel's gain can be measured.
/// </summary>
public static class RunArms
{
    public const string Memory = "memory";
    public const string NoMemory = "no-memory";

    /// <summary>The arm a journal's run_started names: only <see cref="NoMemory"/> is written, anything else is the memory arm.</summary>
    public static string Of(string? journaled) => journaled == NoMemory ? NoMemory : Memory;

    /// <summary>What a run_started entry records for a run: null for the memory arm, so journals of memory runs stay as they were.</summary>
    public static string? Journaled(bool noMemory) => noMemory ? NoMemory : null;
}
