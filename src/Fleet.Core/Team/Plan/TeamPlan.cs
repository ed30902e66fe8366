namespace Fleet.Team;

/// <summary>
/// A team plan: which issues run in which wave, why some wait, who is on each squad, and what was read to make it.
/// On disk it is plan.json (<see cref="TeamPlanFile"/>), a file a person may edit before <c>fleet team run</c>.
/// </summary>
public sealed record TeamPlan
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>The repository the issues are about (a path or owner/name, as the forge names it).</summary>
    public string Repo { get; init; } = string.Empty;

    /// <summary>The branch every issue branch starts from and its pull request targets.</summary>
    public string Base { get; init; } = string.Empty;

    public ForgeSettingsRecord Forge { get; init; } = new(ForgeSettingsRecord.GitHub, null);

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Folders two issues may not both touch in one wave (normal form: ending with '/').</summary>
    public List<string> SharedFolders { get; init; } = [];

    public SquadSettings Squad { get; init; } = SquadSettings.Default;

    /// <summary>The checks each squad waits for after each publish (see <see cref="ChecksSettings"/>).</summary>
    public ChecksSettings Checks { get; init; } = new();

    /// <summary>Every issue in scope, taken or not, ascending by number.</summary>
    public List<PlannedIssue> Issues { get; init; } = [];

    public List<PlannedWave> Waves { get; init; } = [];

    /// <summary>How issues on the same file were planned: <see cref="OverlapModes.Bundle"/> or <see cref="OverlapModes.Serialize"/>.</summary>
    public string Overlap { get; init; } = OverlapModes.Serialize;

    /// <summary>Issues one squad does together in one pull request; all of a bundle's issues are in one wave.</summary>
    public List<PlannedBundle> Bundles { get; init; } = [];

    public List<Serialization> Serializations { get; init; } = [];

    public List<string> Notes { get; init; } = [];

    /// <summary>
    /// At most this many squads of a wave run at once (<see cref="SquadBound.Default"/> of the planning machine; a person
    /// may edit it, <c>team run --max-squads</c> overrides it); null: the running machine's default.
    /// </summary>
    public int? MaxSquads { get; init; }

    /// <summary>Which retro was read at step 0: a URL or a path; null when there was none.</summary>
    public string? Retro { get; init; }

    /// <summary>The doctrine file read at step 0; null when there was none.</summary>
    public string? Doctrine { get; init; }

    /// <summary>
    /// A plan for <paramref name="issues"/>: the issues that are not taken go to <see cref="WavePlanner"/>, whose waves,
    /// serializations and notes the plan keeps; each issue keeps its footprint in normal form. Throws <see cref="PlanException"/>
    /// as the planner does, and when an issue's footprint names another issue.
    /// </summary>
    public static TeamPlan Create(
        string repo,
        string baseBranch,
        ForgeSettingsRecord forge,
        DateTimeOffset createdAt,
        IReadOnlyList<string> sharedFolders,
        SquadSettings squad,
        IReadOnlyList<PlannedIssue> issues,
        string? retro = null,
        string? doctrine = null,
        string overlap = OverlapModes.Serialize)
    {
        ArgumentNullException.ThrowIfNull(issues);
        var mismatched = issues.Where(i => i.Footprint.Issue != i.Number)
            .Select(i => $"#{i.Number}: its footprint is for #{i.Footprint.Issue}; a footprint's issue is the issue it belongs to").ToList();
        if (mismatched.Count > 0)
        {
            throw new PlanException(mismatched);
        }

        // A need on a taken issue is someone else's work in progress: say so rather than "not in this plan".
        var taken = issues.Where(i => i.Taken is not null).Select(i => i.Number).ToHashSet();
        var open = issues.Where(i => i.Taken is null).Select(i => i.Footprint).ToList();
        var notes = open.SelectMany(f => (f.Needs ?? []).Where(taken.Contains).Distinct().Order()
            .Select(n => $"#{f.Issue} needs #{n}, which is taken (someone is already on it): that need is ignored")).ToList();
        var free = open.Select(f => f with { Needs = [.. (f.Needs ?? []).Where(n => !taken.Contains(n))] }).ToList();

        // Bundling compares paths, so the footprints are brought to normal form first (a bad path throws here as in the planner).
        var bundles = overlap == OverlapModes.Bundle ? Bundler.Group([.. free.Select(FootprintPaths.Normalize)]) : [];
        var waves = WavePlanner.Plan(bundles.Count == 0 ? free : Bundler.Merge([.. free.Select(FootprintPaths.Normalize)], bundles), sharedFolders);
        var members = bundles.ToDictionary(b => b.Lead, b => b.Issues);
        var planned = waves.Waves.Select(w => new PlannedWave(w.Wave, [.. w.Issues.SelectMany(i => members.GetValueOrDefault(i, [i])).Order()])).ToList();
        return new TeamPlan
        {
            Repo = repo,
            Base = baseBranch,
            Forge = forge,
            CreatedAt = createdAt,
            SharedFolders = [.. FootprintPaths.NormalizeFolders(sharedFolders ?? [])],
            Squad = squad,
            Issues = [.. issues.OrderBy(i => i.Number).Select(i => i with { Footprint = FootprintPaths.Normalize(i.Footprint) })],
            Waves = planned,
            Overlap = overlap,
            Bundles = [.. bundles],
            Serializations = [.. waves.Serializations],
            Notes = [.. notes, .. waves.Notes],
            Retro = retro,
            Doctrine = doctrine,
        };
    }
}

/// <summary>Where the issues and pull requests live: <c>github</c> (through gh) or <c>local</c> (a folder at <see cref="Path"/>).</summary>
public sealed record ForgeSettingsRecord(string Kind, string? Path)
{
    public const string GitHub = "github";
    public const string Local = "local";
}

/// <summary>The squad every issue gets: who develops, who reviews (by default another provider), who tests, and its limits.</summary>
public sealed record SquadSettings(RoleSettings Developer, RoleSettings Reviewer, RoleSettings Sdet)
{
    /// <summary>A claude developer and SDET, and a codex reviewer, so that no one model both writes and blesses a diff.</summary>
    public static SquadSettings Default { get; } = new(new RoleSettings("claude"), new RoleSettings("codex"), new RoleSettings("claude"));

    public int MaxIterations { get; init; } = 3;

    public int ReviewerLgtmCount { get; init; } = 1;

    public decimal? CostCapUsd { get; init; }
}

/// <summary>
/// A pull request's checks: on GitHub the checks GitHub runs, waited for at most <see cref="WaitSeconds"/>; on a local forge
/// <see cref="Command"/> (sh -c, in the squad's worktree), if given.
/// </summary>
public sealed record ChecksSettings(string? Command = null, int WaitSeconds = ChecksSettings.DefaultWaitSeconds)
{
    public const int DefaultWaitSeconds = 900;
}

/// <summary>One squad role: <see cref="Provider"/> is <c>claude</c> or <c>codex</c>; a null model or effort is the provider's default.</summary>
public sealed record RoleSettings(string Provider, string? Model = null, string? ReasoningEffort = null);

/// <summary>An issue in scope, with what it will touch, and who already has it when it is taken (it then never runs).</summary>
public sealed record PlannedIssue(int Number, string Title, string Url, IssueFootprint Footprint, TakenBy? Taken = null);

/// <summary>Why an issue is taken (an open pull request, a branch, a mention) and the link to it.</summary>
public sealed record TakenBy(string Reason, string? Url);
