using System.Globalization;
using Fleet.Spec;
using Fleet.Validation;

namespace Fleet.Team;

/// <summary>
/// The rules of plan.json beyond its shape, each problem at the line:col of the value to fix: version, dates, limits,
/// footprint paths, and that the waves (perhaps edited by hand) still keep conflicting issues apart and needs earlier.
/// </summary>
internal sealed class TeamPlanRules(string file, SourceNode document, List<Diagnostic> diagnostics)
{
    private const string MoveOrEdit = "move one to a later wave or edit their footprints";

    private readonly SourcePaths _nodes = new(document);

    public TeamPlan Check(PlanJson json)
    {
        if (json.Version != TeamPlan.CurrentVersion)
        {
            Error("$.version", $"unsupported plan version {json.Version}; this fleet reads version {TeamPlan.CurrentVersion}");
        }

        if (!DateTimeOffset.TryParse(json.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var createdAt))
        {
            Error("$.created_at", $"\"{json.CreatedAt}\" is not a date and time; write it like 2026-01-31T12:00:00Z");
        }

        var squad = CheckSquad(json.Squad);
        AtLeastOne(json.Checks.WaitSeconds, "$.checks.wait_seconds");
        if (json.MaxSquads is { } maxSquads)
        {
            AtLeastOne(maxSquads, "$.max_squads");
        }

        if (json.Checks.Command is { } command && string.IsNullOrWhiteSpace(command))
        {
            Error("$.checks.command", "an empty checks command; write null for no checks");
        }
        var shared = NormalizeAll(json.SharedFolders, "$.shared_folders", folder: true);
        var issues = CheckIssues(json.Issues);
        var bundleOf = CheckBundles(json, issues);
        CheckWaves(json, issues, shared, bundleOf);

        return new TeamPlan
        {
            Version = json.Version,
            Repo = json.Repo,
            Base = json.Base,
            Forge = new ForgeSettingsRecord(json.Forge.Kind == ForgeKind.Local ? ForgeSettingsRecord.Local : ForgeSettingsRecord.GitHub, json.Forge.Path),
            CreatedAt = createdAt,
            SharedFolders = shared,
            Squad = squad,
            Checks = new ChecksSettings(json.Checks.Command, json.Checks.WaitSeconds),
            MaxSquads = json.MaxSquads,
            Issues = [.. json.Issues.Select((issue, i) => new PlannedIssue(
                issue.Number,
                issue.Title,
                issue.Url,
                issues.TryGetValue(issue.Number, out var planned) && planned.Index == i && planned.Footprint is { } normalized ? normalized : Footprint(issue.Number, issue.Footprint),
                issue.Taken is null ? null : new TakenBy(issue.Taken.Reason, issue.Taken.Url)))],
            Waves = [.. json.Waves.Select(w => new PlannedWave(w.Wave, [.. w.Issues]))],
            Overlap = json.Overlap == OverlapKind.Bundle ? OverlapModes.Bundle : OverlapModes.Serialize,
            Bundles = [.. json.Bundles.Select(b => new PlannedBundle([.. b.Issues.Distinct().Order()], [.. b.SharedFiles]))],
            Serializations = [.. json.Serializations.Select(s => new Serialization(s.Issue, s.After, TeamPlanFile.KindName(s.Kind), s.Detail, s.Reason))],
            Notes = [.. json.Notes],
            Retro = json.Retro,
            Doctrine = json.Doctrine,
        };
    }

    private SquadSettings CheckSquad(SquadJson squad)
    {
        AtLeastOne(squad.MaxIterations, "$.squad.max_iterations");
        AtLeastOne(squad.ReviewerLgtmCount, "$.squad.reviewer_lgtm_count");
        if (squad.CostCapUsd is <= 0)
        {
            var found = Node("$.squad.cost_cap_usd") is SourceValue v ? v.RawText : squad.CostCapUsd.Value.ToString(CultureInfo.InvariantCulture);
            Error("$.squad.cost_cap_usd", $"must be greater than 0, found {found}; write null for no cap");
        }

        RoleSettings Role(RoleJson role, string name)
        {
            var provider = role.Provider == SquadProvider.Codex ? Provider.Codex : Provider.Claude;
            var path = $"$.squad.{name}.reasoning_effort";
            var efforts = Enum.GetValues<ReasoningEffort>().Select(e => e.Name()).ToList();
            var allowed = ProviderCatalog.EffortsOf(provider).Select(e => e.Name()).ToList();
            if (role.ReasoningEffort is { } effort && !efforts.Contains(effort))
            {
                Error(path, $"unknown value \"{effort}\"; expected one of: {string.Join(", ", efforts)}, or null{DidYouMean.Hint(effort, efforts)}");
            }
            else if (role.ReasoningEffort is { } refused && !allowed.Contains(refused))
            {
                Error(path, $"{provider.Name()} does not accept reasoning effort \"{refused}\"; use one of: {string.Join(", ", allowed)}");
            }

            return new RoleSettings(provider.Name(), role.Model, role.ReasoningEffort);
        }

        return new SquadSettings(Role(squad.Developer, "developer"), Role(squad.Reviewer, "reviewer"), Role(squad.Sdet, "sdet"))
        {
            MaxIterations = squad.MaxIterations,
            ReviewerLgtmCount = squad.ReviewerLgtmCount,
            CostCapUsd = squad.CostCapUsd,
        };
    }

    /// <summary>Each issue by number (the first, when one is listed twice) with its footprint in normal form, when every path of it is good.</summary>
    private Dictionary<int, (int Index, IssueJson Json, IssueFootprint? Footprint)> CheckIssues(List<IssueJson> issues)
    {
        var byNumber = new Dictionary<int, (int Index, IssueJson Json, IssueFootprint? Footprint)>();
        for (var i = 0; i < issues.Count; i++)
        {
            var issue = issues[i];
            var path = $"$.issues[{i}]";
            AtLeastOne(issue.Number, $"{path}.number");
            if (byNumber.TryGetValue(issue.Number, out var first))
            {
                Error($"{path}.number", $"#{issue.Number} is listed twice (first at line {Node($"$.issues[{first.Index}].number").Line}); list each issue once");
                continue;
            }

            var before = diagnostics.Count;
            var fp = issue.Footprint;
            var files = NormalizeAll(fp.Files, $"{path}.footprint.files", folder: false);
            var folders = NormalizeAll(fp.Folders, $"{path}.footprint.folders", folder: true);
            for (var m = 0; m < fp.Migrations.Count; m++)
            {
                if (string.IsNullOrWhiteSpace(fp.Migrations[m]))
                {
                    Error($"{path}.footprint.migrations[{m}]", "an empty migration; name the migration or schema change");
                }
            }

            for (var n = 0; n < fp.Needs.Count; n++)
            {
                if (fp.Needs[n] == issue.Number)
                {
                    Error($"{path}.footprint.needs[{n}]", $"#{issue.Number} needs itself; remove this need");
                }
            }

            var normalized = diagnostics.Count > before ? null : FootprintPaths.Normalize(new IssueFootprint(issue.Number, files, folders, fp.Migrations, fp.Needs));
            byNumber[issue.Number] = (i, issue, normalized);
        }

        return byNumber;
    }

    /// <summary>
    /// A bundle names two or more known issues that are not taken, each in one bundle only, all in the same wave. Returns
    /// each bundled issue's bundle (its index), so that conflicts and needs inside one bundle are not reported.
    /// </summary>
    private Dictionary<int, int> CheckBundles(PlanJson json, Dictionary<int, (int Index, IssueJson Json, IssueFootprint? Footprint)> issues)
    {
        var bundleOf = new Dictionary<int, int>();
        var waveOf = Placed(json).GroupBy(p => p.Issue).ToDictionary(g => g.Key, g => g.First().Wave + 1);
        for (var b = 0; b < json.Bundles.Count; b++)
        {
            var members = json.Bundles[b].Issues;
            if (members.Distinct().Count() < 2)
            {
                Error($"$.bundles[{b}].issues", "a bundle has two or more issues; to split it, remove the bundle (its issues then run as their own squads)");
            }

            for (var k = 0; k < members.Count; k++)
            {
                var number = members[k];
                var path = $"$.bundles[{b}].issues[{k}]";
                if (!issues.TryGetValue(number, out var issue))
                {
                    Error(path, $"bundle {b + 1} names #{number}, which is not in issues; add the issue or remove it from the bundle");
                }
                else if (issue.Json.Taken is { } taken)
                {
                    Error(path, $"#{number} is taken ({taken.Reason}); a bundle never includes a taken issue: remove it from the bundle");
                }
                else if (bundleOf.TryGetValue(number, out var other))
                {
                    Error(path, other == b
                        ? $"#{number} is twice in bundle {b + 1}; list it once"
                        : $"#{number} is in bundle {other + 1} and again in bundle {b + 1}; an issue is in one bundle: join the bundles or remove it from one");
                }
                else
                {
                    bundleOf[number] = b;
                }
            }

            var waves = members.Where(waveOf.ContainsKey).Select(m => (Issue: m, Wave: waveOf[m])).DistinctBy(m => m.Wave).ToList();
            if (waves.Count > 1)
            {
                Error($"$.bundles[{b}].issues", $"a bundle's issues run together, in one wave, but {string.Join(", ", waves.Select(w => $"#{w.Issue} is in wave {w.Wave}"))}: put them in one wave");
            }
            else if (members.FirstOrDefault(m => issues.TryGetValue(m, out var i) && i.Json.Taken is null && !waveOf.ContainsKey(m)) is var missing and > 0 && waves.Count == 1)
            {
                Error($"$.bundles[{b}].issues", $"#{missing} is in no wave but its bundle runs in wave {waves[0].Wave}: put it in that wave or remove it from the bundle");
            }
        }

        return bundleOf;
    }

    private void CheckWaves(PlanJson json, Dictionary<int, (int Index, IssueJson Json, IssueFootprint? Footprint)> issues, List<string> shared, Dictionary<int, int> bundleOf)
    {
        bool Together(int a, int b) => bundleOf.TryGetValue(a, out var x) && bundleOf.TryGetValue(b, out var y) && x == y;

        var waveOf = new Dictionary<int, int>();
        for (var w = 0; w < json.Waves.Count; w++)
        {
            var wave = json.Waves[w];
            if (wave.Wave != w + 1)
            {
                Error($"$.waves[{w}].wave", $"waves are numbered 1, 2, 3... in order: this is wave {w + 1}, found {wave.Wave}");
            }

            for (var k = 0; k < wave.Issues.Count; k++)
            {
                var number = wave.Issues[k];
                var path = $"$.waves[{w}].issues[{k}]";
                if (!issues.TryGetValue(number, out var issue))
                {
                    Error(path, $"wave {w + 1} names #{number}, which is not in issues; add the issue or remove it from the wave");
                }
                else if (waveOf.TryGetValue(number, out var earlier))
                {
                    Error(path, earlier == w + 1
                        ? $"#{number} is twice in wave {w + 1}; an issue runs once"
                        : $"#{number} is in wave {earlier} and again in wave {w + 1}; an issue runs once: remove one");
                }
                else if (issue.Json.Taken is { } taken)
                {
                    Error(path, $"#{number} is taken ({taken.Reason}{(taken.Url is null ? "" : $": {taken.Url}")}); a taken issue never runs: remove it from wave {w + 1}");
                }
                else
                {
                    waveOf[number] = w + 1;
                }
            }
        }

        foreach (var (w, k, number) in Placed(json))
        {
            if (waveOf.GetValueOrDefault(number) != w + 1 || issues[number].Footprint is not { } footprint)
            {
                continue;
            }

            CheckNeeds(footprint with { Needs = [.. footprint.Needs.Where(n => !Together(n, number))] }, w + 1, $"$.waves[{w}].issues[{k}]", issues, waveOf);
            var wave = json.Waves[w].Issues;

            // One squad does a bundle's issues together: what they share is why they are bundled.
            foreach (var other in wave.Take(k).Distinct().Where(o => o != number && waveOf.GetValueOrDefault(o) == w + 1 && !Together(o, number)))
            {
                if (issues[other].Footprint is not { } otherFootprint)
                {
                    continue;
                }

                // A need inside one wave is reported by CheckNeeds, with what to move.
                var conflicts = WavePlanner.ConflictsOfNormalized(otherFootprint, footprint, shared).Where(c => c.Kind != ConflictKinds.Needs).ToList();
                if (conflicts.Count > 0)
                {
                    Error($"$.waves[{w}].issues[{k}]",
                        $"issues #{other} and #{number} are both in wave {w + 1} but {string.Join(", and ", conflicts.Select(c => c.Explanation))}: {MoveOrEdit}");
                }
            }
        }
    }

    private void CheckNeeds(IssueFootprint footprint, int wave, string path, Dictionary<int, (int Index, IssueJson Json, IssueFootprint? Footprint)> issues, Dictionary<int, int> waveOf)
    {
        // Needs on issues outside the plan, or taken by someone else, were noted when the plan was made; they bind nothing here.
        foreach (var needed in footprint.Needs.Where(n => n != footprint.Issue && issues.TryGetValue(n, out var i) && i.Json.Taken is null))
        {
            if (!waveOf.TryGetValue(needed, out var neededWave))
            {
                Error(path, $"#{footprint.Issue} needs #{needed}, which is in no wave: put #{needed} in a wave before wave {wave}, or remove the need");
            }
            else if (neededWave >= wave)
            {
                Error(path, $"#{footprint.Issue} needs #{needed}, but #{needed} is in wave {neededWave}, not before wave {wave}: move #{footprint.Issue} to a later wave or #{needed} to an earlier one");
            }
        }
    }

    private static IEnumerable<(int Wave, int Item, int Issue)> Placed(PlanJson json) =>
        json.Waves.SelectMany((wave, w) => wave.Issues.Select((issue, k) => (w, k, issue)));

    private static IssueFootprint Footprint(int number, FootprintJson json) =>
        new(number, [.. json.Files], [.. json.Folders], [.. json.Migrations], [.. json.Needs]);

    private List<string> NormalizeAll(List<string> paths, string path, bool folder)
    {
        var result = new List<string>();
        for (var i = 0; i < paths.Count; i++)
        {
            if (FootprintPaths.TryNormalize(paths[i], folder, out var normalized, out var error))
            {
                result.Add(normalized);
            }
            else
            {
                Error($"{path}[{i}]", error);
            }
        }

        return [.. result.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private void AtLeastOne(int value, string path)
    {
        if (value < 1)
        {
            Error(path, $"must be at least 1, found {value}");
        }
    }

    private void Error(string path, string message)
    {
        var node = Node(path);
        diagnostics.Add(new Diagnostic(Severity.Error, file, node.Line, node.Column, path, message));
    }

    private SourceNode Node(string path) => _nodes.Locate(path);
}
