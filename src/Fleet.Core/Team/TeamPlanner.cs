using System.Text.Json;
using Fleet.Doctrine;
using Fleet.Forge;
using Fleet.Paths;
using Fleet.Pricing;
using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>What <c>fleet team plan</c> is asked.</summary>
public sealed record TeamPlanRequest
{
    public required string Repository { get; init; }

    /// <summary>The base branch; null: the branch checked out in the repository.</summary>
    public string? Base { get; init; }

    public required ForgeSettingsRecord Forge { get; init; }

    public IReadOnlyList<int>? Issues { get; init; }

    public string? Label { get; init; }

    public IReadOnlyList<string> SharedFolders { get; init; } = [];

    public SquadSettings Squad { get; init; } = SquadSettings.Default;

    /// <summary>Footprints a person wrote (the architect's answer format); null: the architect agent gives them.</summary>
    public string? FootprintsFile { get; init; }

    /// <summary>At most this many squads at once, kept in the plan (<see cref="TeamPlan.MaxSquads"/>); null: none kept.</summary>
    public int? MaxSquads { get; init; }

    /// <summary>Issues that change the same file: one bundle (<see cref="OverlapModes.Bundle"/>) or wave after wave.</summary>
    public string Overlap { get; init; } = OverlapModes.Default;

    /// <summary>The checks command each squad runs in its worktree after each publish on a local forge; null: none.</summary>
    public string? ChecksCommand { get; init; }

    /// <summary>Where this planning keeps its files (the architect's raw output).</summary>
    public required string StateDir { get; init; }

    /// <summary>The memory experiment's control arm: the latest retro and the doctrine are not read.</summary>
    public bool NoMemory { get; init; }
}

/// <summary>
/// <c>fleet team plan</c>: step 0 (the forge answers, the tree is clean, the base exists, the doctrine's preconditions
/// hold), the issues in scope read whole, pre-flight (an issue someone is already on is taken, with the link), the
/// latest retro and the doctrine, the footprints (architect or file), and the deterministic waves.
/// </summary>
public sealed class TeamPlanner(IForge forge, Func<ArchitectRequest, CancellationToken, Task<ArchitectResult>> architect, TimeProvider time, Action<string>? progress = null, GitCli? git = null)
{
    private readonly GitCli _git = git ?? GitCli.Default;

    public async Task<TeamPlan> PlanAsync(TeamPlanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var repo = request.Repository;
        var baseBranch = request.Base ?? await CurrentBranchAsync(repo, cancellationToken);
        await StepZeroAsync(repo, baseBranch, cancellationToken);

        var listed = await forge.ListIssuesAsync(new IssueQuery(request.Issues, request.Label, IssueState.Open), cancellationToken);
        var inScope = listed.Where(i => !i.Labels.Contains(TeamLayout.RetroLabel, StringComparer.OrdinalIgnoreCase)).OrderBy(i => i.Number).ToList();
        if (request.Issues is { } asked && asked.Except(inScope.Select(i => i.Number)).ToList() is { Count: > 0 } missing)
        {
            throw new TeamException($"not an open issue of {forge.Description}: {string.Join(", ", missing.Select(n => $"#{n}"))}; nothing was planned");
        }

        if (inScope.Count == 0)
        {
            throw new TeamException($"no open issue in scope ({(request.Label is null ? "all open issues" : $"label {request.Label}")}) in {forge.Description}; nothing was planned");
        }

        Say($"read {inScope.Count} open issues: {string.Join(", ", inScope.Select(i => $"#{i.Number}"))}");
        var issues = new List<ForgeIssue>();
        foreach (var summary in inScope)
        {
            issues.Add(await forge.GetIssueAsync(summary.Number, cancellationToken));
        }

        var open = await forge.ListOpenPullRequestsAsync(cancellationToken);
        var branches = (await _git.OutputAsync(repo, ["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes"], cancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var taken = issues.ToDictionary(i => i.Number, i => TakenDetector.Find(i.Number, open, branches));
        foreach (var (number, by) in taken.Where(t => t.Value is not null))
        {
            Say($"#{number} is taken: {by!.Reason}{(by.Url is null ? "" : $" ({by.Url})")}");
        }

        var (retroRef, retroSummary) = request.NoMemory ? (null, null) : await LatestRetroAsync(cancellationToken);
        var doctrineFile = DoctrineFiles.Doctrine(repo);
        var doctrine = !request.NoMemory && File.Exists(doctrineFile) ? await File.ReadAllTextAsync(doctrineFile, cancellationToken) : null;
        Say(retroRef is null ? "no earlier retro" : $"read the latest retro: {retroRef}");

        var free = issues.Where(i => taken[i.Number] is null).ToList();
        IReadOnlyList<IssueFootprint> footprints = [];
        if (free.Count > 0)
        {
            footprints = request.FootprintsFile is { } file
                ? ReadFootprints(file, [.. free.Select(i => i.Number)])
                : await RunArchitectAsync(request, free, doctrine, retroSummary, cancellationToken);
        }

        var byIssue = footprints.ToDictionary(f => f.Issue);
        var planned = issues.Select(i => new PlannedIssue(
            i.Number, i.Title, i.Url,
            byIssue.TryGetValue(i.Number, out var f) ? f : new IssueFootprint(i.Number, [], [], [], []),
            taken[i.Number])).ToList();
        var plan = TeamPlan.Create(repo, baseBranch, request.Forge, time.GetUtcNow(), request.SharedFolders, request.Squad, planned, retroRef,
            doctrine is null ? null : doctrineFile, request.Overlap);
        return plan with { Checks = plan.Checks with { Command = request.ChecksCommand }, MaxSquads = request.MaxSquads };
    }

    /// <summary>Step 0: every check a squad would otherwise trip over mid-run; the first failure stops with its text.</summary>
    private async Task StepZeroAsync(string repo, string baseBranch, CancellationToken cancellationToken)
    {
        var check = await forge.CheckAsync(cancellationToken);
        if (!check.Ok)
        {
            throw new TeamException($"step 0: {check.Message}; nothing was planned");
        }

        var status = await _git.OutputAsync(repo, ["status", "--porcelain"], cancellationToken);
        if (status.Length > 0)
        {
            var first = status.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
            throw new TeamException($"step 0: the working tree of {repo} is not clean ({first}{(status.Trim().Contains('\n', StringComparison.Ordinal) ? ", …" : "")}): commit or stash first; nothing was planned");
        }

        if (!(await _git.RunAsync(repo, ["rev-parse", "--verify", "--quiet", $"refs/heads/{baseBranch}"], cancellationToken)).Succeeded)
        {
            throw new TeamException($"step 0: the base branch {baseBranch} does not exist in {repo}; nothing was planned");
        }

        IReadOnlyList<Precondition> preconditions;
        try
        {
            preconditions = DoctrineFiles.ReadPreconditions(repo);
        }
        catch (InvalidDataException e)
        {
            throw new TeamException($"step 0: {e.Message}; nothing was planned");
        }

        if (await PreconditionCheck.FirstFailureAsync(repo, preconditions, cancellationToken) is { } failed)
        {
            throw new TeamException($"step 0: {failed.Describe()}; nothing was planned");
        }

        // The plan and the squads live under .fleet/team/: keep them out of git status, so the tree stays clean for the next plan.
        await new TeamLayout(repo).ExcludeFromGitAsync(_git, cancellationToken);
        Say($"step 0: {forge.Description} answers; {repo} is clean; base {baseBranch} exists; {preconditions.Count} doctrine preconditions hold");
    }

    private async Task<string> CurrentBranchAsync(string repo, CancellationToken cancellationToken)
    {
        var head = await _git.RunAsync(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken);
        return head.Succeeded ? head.Stdout.Trim() : throw new TeamException($"step 0: {repo} is on a detached HEAD: give the base branch with --base; nothing was planned");
    }

    /// <summary>The newest issue labelled <c>fleet-retro</c> (any state): what the last team run learned.</summary>
    private async Task<(string? Ref, string? Summary)> LatestRetroAsync(CancellationToken cancellationToken)
    {
        var retros = await forge.ListIssuesAsync(new IssueQuery(Label: TeamLayout.RetroLabel, State: IssueState.All), cancellationToken);
        if (retros.OrderByDescending(r => r.Number).FirstOrDefault() is not { } latest)
        {
            return (null, null);
        }

        var full = await forge.GetIssueAsync(latest.Number, cancellationToken);
        return (full.Url, full.Body);
    }

    private async Task<IReadOnlyList<IssueFootprint>> RunArchitectAsync(TeamPlanRequest request, List<ForgeIssue> issues, string? doctrine, string? retro, CancellationToken cancellationToken)
    {
        PrivateFiles.CreateDirectory(request.StateDir);
        var architectRequest = new ArchitectRequest
        {
            RepositoryDirectory = request.Repository,
            Issues = issues,
            RawOutputPath = Path.Combine(request.StateDir, $"architect-{time.GetUtcNow():yyyyMMdd-HHmmss}.jsonl"),
            SharedFolders = request.SharedFolders,
            Doctrine = doctrine,
            RetroSummary = retro,
            TimeProvider = time,
        };
        Say($"the architect reads {issues.Count} issues and the repository ({architectRequest.RawOutputPath})");
        var result = await architect(architectRequest, cancellationToken);
        Say($"the architect answered: {result.Footprints.Count} footprints{(result.CostUsd is { } c ? $", {Usd.Text(c)}" : "")}");
        return result.Footprints;
    }

    /// <summary>Footprints a person wrote, in the architect's answer format, checked against the scope the same way.</summary>
    public static IReadOnlyList<IssueFootprint> ReadFootprints(string file, IReadOnlyCollection<int> scope)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new TeamException($"{file}: cannot read the footprints: {e.Message}");
        }

        using (document)
        {
            return ArchitectAnswer.Read(document.RootElement, scope, out var problems) is { } answer
                ? answer.Footprints
                : throw new TeamException($"{file}: {string.Join("; ", problems)}");
        }
    }

    private void Say(string line) => progress?.Invoke(line);
}
