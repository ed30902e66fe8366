namespace Fleet.Team;

/// <summary>What the planner decided: the waves, why each later issue waits, and what it ignored or how it searched (<see cref="Notes"/>).</summary>
public sealed record WavePlan(IReadOnlyList<PlannedWave> Waves, IReadOnlyList<Serialization> Serializations)
{
    /// <summary>Sentences a person should read: ignored needs, and that the plan is greedy (not proven minimal) for long backlogs.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>One wave: the issues that run at the same time (ascending). Waves are numbered from 1.</summary>
public sealed record PlannedWave(int Wave, IReadOnlyList<int> Issues);

/// <summary>
/// Why <see cref="Issue"/> runs in a later wave than <see cref="After"/>: <see cref="Kind"/> is one of
/// <see cref="ConflictKinds"/>, <see cref="Detail"/> what they share, <see cref="Reason"/> a sentence for people.
/// </summary>
public sealed record Serialization(int Issue, int After, string Kind, string Detail, string Reason);

/// <summary>
/// One reason two issues cannot share a wave. <see cref="Explanation"/> is the clause after "because", naming both
/// issues ("#12 changes src/api/users.cs inside #15's folder src/api/"), so it reads the same whichever runs first.
/// </summary>
public sealed record FootprintConflict(string Kind, string Detail, string Explanation);

/// <summary>The kinds of <see cref="FootprintConflict"/> and <see cref="Serialization"/>, in the order they are listed.</summary>
public static class ConflictKinds
{
    /// <summary>One issue needs the other's result (a direct need).</summary>
    public const string Needs = "needs";

    /// <summary>Both change the same file.</summary>
    public const string File = "file";

    /// <summary>A file or folder of one is inside a folder of the other (or the folders are the same).</summary>
    public const string Folder = "folder";

    /// <summary>Both touch something under a folder marked shared.</summary>
    public const string SharedFolder = "shared-folder";

    /// <summary>Both carry migrations or schema changes.</summary>
    public const string Migration = "migration";

    public static IReadOnlyList<string> All { get; } = [Needs, File, Folder, SharedFolder, Migration];
}
