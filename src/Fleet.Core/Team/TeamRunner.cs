using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Forge;
using Fleet.Orchestration;
using Fleet.Paths;
using Fleet.Pricing;
using Fleet.Retro;
using Fleet.State;
using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>One issue as a team run takes it from the plan.</summary>
public sealed record RunIssue(int Number, string Title, string Url, IReadOnlyList<int> Needs, TakenBy? Taken)
{
    /// <summary>The other issues of this issue's bundle: one squad does them all, on this issue's branch, in one pull request.</summary>
    public IReadOnlyList<RunIssue> Bundled { get; init; } = [];

    [JsonIgnore]
    public IReadOnlyList<int> AllNumbers => [Number, .. Bundled.Select(b => b.Number)];

    /// <summary>What the squad needs from outside it: every member's needs, less the members.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> AllNeeds => [.. Needs.Concat(Bundled.SelectMany(b => b.Needs)).Except(AllNumbers).Distinct().Order()];
}

/// <summary>What a team run does: the plan's waves and the squads' settings.</summary>
public sealed record TeamRunSettings(
    string Repository,
    string Base,
    ForgeSettingsRecord Forge,
    IReadOnlyList<IReadOnlyList<RunIssue>> Waves,
    RoleSettings Developer,
    RoleSettings Reviewer,
    RoleSettings Sdet,
    int MaxIterations,
    int ReviewerLgtmCount,
    decimal? CostCapUsd,
    IReadOnlyList<string> FleetCommand,
    string? RehearsalScript,
    string? PlanFile)
{
    /// <summary>Issues the plan found taken (someone is already on them): never started, listed in the results and the retro.</summary>
    public IReadOnlyList<RunIssue> Taken { get; init; } = [];

    /// <summary>The memory experiment's no-memory arm: squads get no doctrine, allow rules or preconditions from the repository.</summary>
    public bool NoMemory { get; init; }

    /// <summary><c>--merge</c>: each wave's approved pull requests are merged (team merge's rules) before the next wave starts.</summary>
    public bool MergeApproved { get; init; }

    /// <summary>The checks each squad waits for after each publish.</summary>
    public ChecksSettings Checks { get; init; } = new();

    /// <summary><c>--max-squads</c>: at most this many squads of a wave run at once, the others wait their turn; null: no bound.</summary>
    public int? MaxSquads { get; init; }

    /// <summary><c>--cost-cap</c>: the whole run's cap; each squad's fleet gets a share of what is left (<see cref="TeamBudget"/>).</summary>
    public decimal? TeamCostCapUsd { get; init; }
}

/// <summary>How one issue's squad ended (or why it never started).</summary>
public sealed record SquadOutcome(
    int Issue,
    string Status,
    string Reason,
    int? PullRequest,
    string? PullRequestUrl,
    string? LastVerdict,
    int Iterations,
    decimal CostUsd,
    int Interventions,
    string? SquadRoot,
    string? FleetRun);

public sealed record TeamRunResult(string Run, string RunDir, IReadOnlyList<SquadOutcome> Squads, string? RetroUrl, string RetroFile)
{
    /// <summary>0 when every squad that ran was approved; 3 when one waits on a person; 1 otherwise.</summary>
    [JsonIgnore]
    public int ExitCode =>
        Squads.Any(s => s.Status is SquadStatus.Escalated or SquadStatus.Paused) ? ExitCodes.NeedsPerson
        : Squads.All(s => s.Status is SquadStatus.Approved or SquadStatus.Taken) ? ExitCodes.Success
        : ExitCodes.Failed;
}

public static class SquadStatus
{
    public const string Approved = "approved";
    public const string NotApproved = "not approved";
    public const string Escalated = "escalated";
    public const string Paused = "paused";
    public const string Stopped = "orchestrator stopped";
    public const string Skipped = "skipped";
    public const string Taken = "taken";
    public const string NotStarted = "not started";
}

/// <summary>
/// <c>fleet team run</c>: wave after wave, a squad per issue (an iterative fleet launched like any other), its verdicts
/// posted on its pull request as they come, its engagement log when it ends; then the run's retro goes to the forge
/// (label <c>fleet-retro</c>) where the next <c>team plan</c> reads it. An issue whose needed issue was not approved is
/// skipped, as a dag skips the dependents of a failed worker.
/// </summary>
public sealed class TeamRunner(TeamRunSettings settings, IForge forge, ISquadLauncher launcher, TimeProvider time, Action<string>? progress = null)
{
    private static readonly TimeSpan StallAfter = TimeSpan.FromMinutes(10);

    /// <summary>Each issue's outcome, in the run's folder, once the run has ended.</summary>
    public const string ResultFile = "team-run.json";

    public Task<TeamRunResult> RunAsync(CancellationToken cancellationToken) => RunAsync(TeamLayout.NewRunId(time.GetUtcNow()), cancellationToken);

    /// <summary>
    /// Runs <paramref name="run"/>, or goes on with it after its orchestrator stopped: squads its journal (or their own
    /// journals) say were started are followed, never started again; posts already made are not made again.
    /// </summary>
    public async Task<TeamRunResult> RunAsync(string run, CancellationToken cancellationToken)
    {
        var layout = new TeamLayout(settings.Repository);
        PrivateFiles.CreateDirectory(layout.RunDir(run));
        var journal = new TeamRunJournal(layout.RunDir(run), time);
        var outcomes = new Dictionary<int, SquadOutcome>();
        var work = new ApprovedWork(settings.Repository, settings.Base, settings.Forge, forge, GitCli.Default, Say);
        var waveNumber = 0;
        foreach (var wave in settings.Waves)
        {
            waveNumber++;
            Say($"wave {waveNumber}: {string.Join(", ", wave.Select(i => $"#{i.Number}"))}");
            var open = await forge.ListOpenPullRequestsAsync(cancellationToken);
            var active = new List<Squad>();
            var waiting = new List<RunIssue>();
            foreach (var planned in wave)
            {
                if (await AlreadyStartedAsync(journal, layout, run, planned, cancellationToken) is { } started)
                {
                    active.Add(started);
                    work.Started(planned);
                    Say($"  #{planned.Number} squad already started: fleet status {started.Root}");
                }
                else
                {
                    waiting.Add(planned);
                }
            }

            // At most MaxSquads at once: the others wait their turn and start as running ones end. Squads a resumed run
            // found started count against the bound, so a resume never runs more than it.
            var done = new Dictionary<int, SquadOutcome>();
            var deadSince = new Dictionary<int, DateTimeOffset>();
            while (waiting.Count > 0 || done.Count < active.Count)
            {
                while (waiting.Count > 0 && active.Count - done.Count < (settings.MaxSquads ?? int.MaxValue))
                {
                    var planned = waiting[0];
                    waiting.RemoveAt(0);
                    if (await StartOneAsync(journal, layout, run, planned, open, outcomes, active, done, waiting.Count, work, cancellationToken) is { } started)
                    {
                        active.Add(started);
                    }
                }

                foreach (var (number, outcome) in await PollAsync(active, done, deadSince, cancellationToken))
                {
                    Say($"  #{number} {outcome.Status}: {outcome.Reason}{(outcome.PullRequestUrl is null ? "" : $" ({outcome.PullRequestUrl})")}");

                    // Each issue of a bundle ends as its squad did: one pull request, one verdict.
                    var squad = active.First(a => a.Issue.Number == number).Issue;
                    foreach (var n in squad.AllNumbers)
                    {
                        outcomes[n] = n == number ? outcome : outcome with { Issue = n, Reason = $"in #{number}'s bundle: {outcome.Reason}" };
                    }
                }

                if (done.Count < active.Count)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
                }
            }

            if (settings.MergeApproved)
            {
                await work.MergeApprovedAsync([.. active.SelectMany(a => a.Issue.AllNumbers).Select(n => outcomes[n])], cancellationToken);
            }
        }

        foreach (var issue in settings.Taken.Where(i => !outcomes.ContainsKey(i.Number)))
        {
            outcomes[issue.Number] = NotRun(issue.Number, SquadStatus.Taken, issue.Taken is { } t ? t.Reason + (t.Url is null ? "" : $" ({t.Url})") : "taken");
        }

        var squads = outcomes.Values.OrderBy(o => o.Issue).ToList();
        var retro = TeamRetro.Markdown(run, settings, squads);
        var retroFile = Path.Combine(layout.RunDir(run), "retro.md");
        await PrivateFiles.WriteAllTextAsync(retroFile, retro, cancellationToken);
        string? retroUrl = journal.RetroUrl();
        try
        {
            retroUrl ??= journal.RetroPostBegun() ? await FindRetroAsync(run, cancellationToken) : null;
            if (retroUrl is null)
            {
                await journal.RetroPostingAsync(run, cancellationToken);
                retroUrl = (await forge.CreateIssueAsync(RetroTitle(run), retro, [TeamLayout.RetroLabel], cancellationToken)).Url;
                Say($"retro posted: {retroUrl}");
            }

            if (journal.RetroUrl() is null)
            {
                await journal.RetroPostedAsync(run, retroUrl, cancellationToken);
            }
        }
        catch (ForgeException e)
        {
            Say($"the retro could not be posted ({e.Message}); it is in {retroFile}");
        }

        var result = new TeamRunResult(run, layout.RunDir(run), squads, retroUrl, retroFile);
        await PrivateFiles.WriteAllTextAsync(Path.Combine(layout.RunDir(run), ResultFile), JsonSerializer.Serialize(result, TeamRunJsonContext.Default.TeamRunResult) + "\n", cancellationToken);
        return result;
    }

    private static string RetroTitle(string run) => $"Fleet retro: team run {run}";

    /// <summary>The retro an orchestrator posted before it was stopped, before journaling that it had.</summary>
    private async Task<string?> FindRetroAsync(string run, CancellationToken cancellationToken) =>
        (await forge.ListIssuesAsync(new IssueQuery(Label: TeamLayout.RetroLabel, State: IssueState.All), cancellationToken))
            .FirstOrDefault(i => i.Title == RetroTitle(run))?.Url;

    /// <summary>
    /// A squad of this run started before (journaled as started, or its own journal has a run: a start cut short between
    /// the squad's launch and the journal): continued, not started again. Null for a squad never started.
    /// </summary>
    private async Task<Squad?> AlreadyStartedAsync(TeamRunJournal journal, TeamLayout layout, string run, RunIssue issue, CancellationToken cancellationToken)
    {
        var root = layout.SquadRoot(run, issue.Number);
        var fleetRun = journal.StartedSquad(issue.Number);
        if (fleetRun is null && FleetRuns.Load(new FleetLayout(root)).RunId is { } begun)
        {
            fleetRun = begun;
            await journal.SquadStartedAsync(run, issue.Number, begun, cancellationToken);
        }

        if (fleetRun is null)
        {
            return null;
        }

        await launcher.ContinueAsync(root, cancellationToken);
        return new Squad(issue, root, fleetRun);
    }

    /// <summary>A squad of a wave: its issue (with its bundle), its fleet root and the fleet run it was started with.</summary>
    private sealed record Squad(RunIssue Issue, string Root, string FleetRun);

    /// <summary>
    /// Starts one planned squad, or records why it does not start (taken, a needed issue not approved, the team's cost
    /// cap, a refusal): null then, with the outcomes recorded.
    /// </summary>
    private async Task<Squad?> StartOneAsync(
        TeamRunJournal journal, TeamLayout layout, string run, RunIssue planned, IReadOnlyList<ForgePullRequest> open, Dictionary<int, SquadOutcome> outcomes,
        List<Squad> active, Dictionary<int, SquadOutcome> done, int stillWaiting, ApprovedWork work, CancellationToken cancellationToken)
    {
        // A bundle never includes a taken issue: each member is checked, and the squad does the free ones.
        var free = new List<RunIssue>();
        foreach (var member in (IEnumerable<RunIssue>)[planned with { Bundled = [] }, .. planned.Bundled])
        {
            if ((member.Taken ?? TakenDetector.Find(member.Number, open, [])) is { } taken)
            {
                outcomes[member.Number] = NotRun(member.Number, SquadStatus.Taken, taken.Reason + (taken.Url is null ? "" : $" ({taken.Url})"));
                Say($"  #{member.Number} taken: {outcomes[member.Number].Reason}");
            }
            else
            {
                free.Add(member);
            }
        }

        if (free.Count == 0)
        {
            return null;
        }

        var issue = free[0] with { Bundled = [.. free.Skip(1)] };
        var blockers = issue.AllNeeds.Where(n => outcomes.TryGetValue(n, out var o) && o.Status != SquadStatus.Approved).ToList();
        if (blockers.Count > 0)
        {
            NotStarted(outcomes, issue, SquadStatus.Skipped, string.Join("; ", blockers.Select(b => $"needs #{b}, which ended {outcomes[b].Status}")));
            return null;
        }

        decimal? cap = settings.CostCapUsd;
        if (settings.TeamCostCapUsd is { } teamCap)
        {
            // A refusal is journaled once and stands: a resumed run does not start the squad after all.
            var refused = journal.CostCapRefusal(issue.Number);
            var running = active.Where(a => !done.ContainsKey(a.Issue.Number)).ToList();
            var committed = outcomes.Values.Where(o => o.SquadRoot is not null).DistinctBy(o => o.SquadRoot).Sum(o => o.CostUsd)
                + running.Sum(a => Held(a.Root));
            var sharers = Math.Min(1 + stillWaiting, (settings.MaxSquads ?? int.MaxValue) - running.Count);
            cap = refused is null ? TeamBudget.SquadCap(teamCap, committed, sharers, settings.CostCapUsd) : null;
            if (cap is null)
            {
                var reason = refused ?? string.Create(CultureInfo.InvariantCulture, $"the team's cost cap is reached: {Usd.Text(committed)} of {Usd.Text(teamCap)} spent or held by running squads");
                if (refused is null)
                {
                    await journal.CostCapRefusedAsync(run, issue.Number, committed, reason, cancellationToken);
                }

                NotStarted(outcomes, issue, SquadStatus.NotStarted, reason);
                return null;
            }
        }

        try
        {
            await journal.SquadStartingAsync(run, issue.Number, cancellationToken);
            var (root, fleetRun) = await StartSquadAsync(layout, run, issue, work.StartFor(issue, outcomes), cap, cancellationToken);
            await journal.SquadStartedAsync(run, issue.Number, fleetRun, cancellationToken);
            work.Started(issue);
            Say($"  #{issue.Number} squad started: fleet status {root}");
            return new Squad(issue, root, fleetRun);
        }
        catch (Exception e) when (e is TeamException or ForgeException or GitException or WorktreeException or IOException)
        {
            NotStarted(outcomes, issue, SquadStatus.NotStarted, e.Message);
            return null;
        }
    }

    private void NotStarted(Dictionary<int, SquadOutcome> outcomes, RunIssue issue, string status, string reason)
    {
        foreach (var number in issue.AllNumbers)
        {
            outcomes[number] = NotRun(number, status, reason);
            Say($"  #{number} {status}: {reason}");
        }
    }

    /// <summary>What a running squad may spend: its fleet's cost cap (a team cap gives every squad one), or more if it went past it.</summary>
    private static decimal Held(string root)
    {
        var spent = FleetRuns.Load(new FleetLayout(root)).Spent;
        return SquadDefinition.Load(root).CostCapUsd is { } cap ? Math.Max(cap, spent) : spent;
    }

    private async Task<(string Root, string FleetRun)> StartSquadAsync(TeamLayout layout, string run, RunIssue issue, SquadStart start, decimal? costCap, CancellationToken cancellationToken)
    {
        var full = await forge.GetIssueAsync(issue.Number, cancellationToken);
        var bundled = new List<BundledIssue>();
        foreach (var member in issue.Bundled)
        {
            var text = await forge.GetIssueAsync(member.Number, cancellationToken);
            bundled.Add(new BundledIssue(text.Number, text.Title, text.Url, IssueText(text)));
        }

        var worktree = await ApprovedWork.PrepareWorktreeAsync(layout, issue, start, GitCli.Default, cancellationToken);
        if (start.PullRequestBase != settings.Base)
        {
            Say($"  #{issue.Number} stacked on {start.PullRequestBase}{(start.MergeIn.Count == 0 ? "" : $" with {string.Join(", ", start.MergeIn)} merged in")}: the approved work it needs is not merged yet");
        }

        var squad = new SquadDefinition(
            run, issue.Number, full.Title, full.Url, IssueText(full), layout.Repository, start.PullRequestBase, TeamLayout.Branch(issue.Number), worktree,
            settings.Forge, settings.Developer, settings.Reviewer, settings.Sdet, settings.MaxIterations, settings.ReviewerLgtmCount, costCap)
        {
            Bundled = bundled,
            Checks = settings.Checks,
        };
        var root = layout.SquadRoot(run, issue.Number);
        SquadFleet.Write(root, squad, settings.FleetCommand, settings.RehearsalScript, settings.NoMemory);
        var fleetRun = await launcher.LaunchAsync(root, cancellationToken);
        return (root, fleetRun);
    }

    /// <summary>The issue as the squad's briefs quote it: its body, then every comment with its author.</summary>
    public static string IssueText(ForgeIssue issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        var text = new StringBuilder(issue.Body.Trim());
        if (issue.Comments.Count > 0)
        {
            text.Append("\n\n## Comments\n");
            foreach (var comment in issue.Comments)
            {
                var at = comment.CreatedAt is { } c ? c.ToString(" (yyyy-MM-dd)", CultureInfo.InvariantCulture) : "";
                text.Append(CultureInfo.InvariantCulture, $"\n**{comment.Author}**{at}:\n\n{comment.Body.Trim()}\n");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// One look at a wave's running squads, posting verdicts as they come: the squads that ended since the last look, also
    /// added to <paramref name="done"/>. Not a hot path: a person's pace.
    /// </summary>
    private async Task<List<(int Issue, SquadOutcome Outcome)>> PollAsync(List<Squad> active, Dictionary<int, SquadOutcome> done, Dictionary<int, DateTimeOffset> deadSince, CancellationToken cancellationToken)
    {
        var endedNow = new List<(int, SquadOutcome)>();
        foreach (var (issue, root, fleetRun) in active.Where(a => !done.ContainsKey(a.Issue.Number)).ToList())
        {
            var squadLayout = new FleetLayout(root);
            var state = FleetRuns.Load(squadLayout);
            await PostAsync(issue.Number, () => SquadReporter.PostNewVerdictsAsync(root, state, forge, time, cancellationToken));
            string? status = null;
            string reason = "";
            if (state.Ended is { } ended)
            {
                status = ended.ExitCode == ExitCodes.Success ? SquadStatus.Approved : SquadStatus.NotApproved;
                reason = $"{ended.Outcome}: {ended.Reason}";
            }
            else if (state.Paused)
            {
                status = state.Escalated ? SquadStatus.Escalated : SquadStatus.Paused;
                reason = $"{state.PauseReason} (a person decides: fleet resume {root} or fleet kill {root})";
            }
            else if (OrchestratorInfo.Running(squadLayout) is null && !FleetLock.IsHeld(squadLayout))
            {
                // The orchestrator may be on its way out after journaling the end: give it a moment before calling it dead.
                var since = deadSince.TryGetValue(issue.Number, out var s) ? s : deadSince[issue.Number] = time.GetUtcNow();
                if (time.GetUtcNow() - since > TimeSpan.FromSeconds(5))
                {
                    status = SquadStatus.Stopped;
                    reason = $"its orchestrator stopped before the run ended; continue with: fleet resume {root}";
                }
            }

            if (status is null)
            {
                continue;
            }

            if (state.Ended is not null)
            {
                await PostAsync(issue.Number, async () => await SquadReporter.PostEngagementLogAsync(root, state, forge, StallAfter, cancellationToken));
                await launcher.ReleaseAsync(root, cancellationToken);
            }

            var publish = SquadPublisher.LatestUpTo(root, state.Iteration);
            var interventions = 0;
            try
            {
                interventions = RetroReport.Build(root, null, StallAfter).Totals.Interventions;
            }
            catch (InvalidOperationException)
            {
                // No run in the journal yet: nothing happened, nobody intervened.
            }

            done[issue.Number] = new SquadOutcome(issue.Number, status, reason, publish?.PullRequest, publish?.Url,
                state.Verdicts.OrderBy(v => v.Iteration).LastOrDefault()?.Verdict, state.Iteration, state.Spent, interventions, root, fleetRun);
            endedNow.Add((issue.Number, done[issue.Number]));
        }

        return endedNow;
    }

    /// <summary>A forge hiccup must not end the run: say it, and the next round tries again (markers keep it once).</summary>
    private async Task PostAsync(int issue, Func<Task> post)
    {
        try
        {
            await post();
        }
        catch (ForgeException e)
        {
            Say($"  #{issue}: could not post on the pull request yet: {e.Message}");
        }
    }

    private static SquadOutcome NotRun(int issue, string status, string reason) => new(issue, status, reason, null, null, null, 0, 0m, 0, null, null);

    private void Say(string line) => progress?.Invoke(line);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(TeamRunResult))]
public sealed partial class TeamRunJsonContext : JsonSerializerContext;
