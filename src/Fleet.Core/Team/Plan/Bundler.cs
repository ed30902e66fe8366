namespace Fleet.Team;

/// <summary>How <c>team plan</c> treats issues that change the same file: one squad and one pull request for all of them, or wave after wave.</summary>
public static class OverlapModes
{
    /// <summary>Issues that change the same file become one bundle: one squad, one branch, one pull request closing each.</summary>
    public const string Bundle = "bundle";

    /// <summary>Issues that change the same file run in separate waves, each its own pull request.</summary>
    public const string Serialize = "serialize";

    /// <summary>
    /// Bundles: separate pull requests on one file conflict with each other as soon as the first merges, and agents racing on
    /// one file redo each other's work; one squad making every change to the file in one pull request does not.
    /// </summary>
    public const string Default = Bundle;

    public static IReadOnlyList<string> All { get; } = [Bundle, Serialize];
}

/// <summary>
/// Issues one squad does together, on one branch named after its lowest issue (<see cref="Lead"/>), in one pull request that
/// closes each. <see cref="SharedFiles"/> are the files two or more of them change: why they are bundled.
/// </summary>
public sealed record PlannedBundle(IReadOnlyList<int> Issues, IReadOnlyList<string> SharedFiles)
{
    public int Lead => Issues[0];

    /// <summary>"#1, #2 and #3 are one bundle: they all change src/a.cs", for the plan's table.</summary>
    public string Reason =>
        $"{Join(Issues.Select(i => $"#{i}"))} are one bundle (one squad, one pull request): {(Issues.Count == 2 ? "both" : "they")} change {Join(SharedFiles)}";

    private static string Join(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : $"{string.Join(", ", list.Take(list.Count - 1))} and {list[^1]}";
    }
}

/// <summary>
/// Decides which issues share a bundle: two issues whose footprints name the same file, joined transitively, unless a join
/// would make the bundles' needs circular (a bundle that needs an issue outside it which needs the bundle back). Pure and
/// deterministic: pairs are joined in ascending order of their issue numbers.
/// </summary>
public static class Bundler
{
    /// <summary>The bundles of two or more issues among <paramref name="footprints"/> (in normal form), by lead issue.</summary>
    public static IReadOnlyList<PlannedBundle> Group(IReadOnlyList<IssueFootprint> footprints)
    {
        ArgumentNullException.ThrowIfNull(footprints);
        var issues = footprints.OrderBy(f => f.Issue).ToList();
        var known = issues.Select(f => f.Issue).ToHashSet();
        var group = issues.ToDictionary(f => f.Issue, f => f.Issue);
        for (var i = 0; i < issues.Count; i++)
        {
            for (var j = i + 1; j < issues.Count; j++)
            {
                var (a, b) = (group[issues[i].Issue], group[issues[j].Issue]);
                if (a == b || !issues[i].Files.Intersect(issues[j].Files, StringComparer.Ordinal).Any())
                {
                    continue;
                }

                var joined = group.ToDictionary(g => g.Key, g => g.Value == b ? a : g.Value);
                if (!HasCycle(issues, known, joined))
                {
                    group = joined;
                }
            }
        }

        return [.. issues.GroupBy(f => group[f.Issue]).Where(g => g.Count() > 1).OrderBy(g => g.Key).Select(g =>
        {
            var members = g.OrderBy(f => f.Issue).ToList();
            var shared = members.SelectMany(f => f.Files.Distinct(StringComparer.Ordinal)).GroupBy(x => x, StringComparer.Ordinal)
                .Where(x => x.Count() > 1).Select(x => x.Key).Order(StringComparer.Ordinal).ToList();
            return new PlannedBundle([.. members.Select(f => f.Issue)], shared);
        })];
    }

    /// <summary>
    /// The footprints the wave planner sees: a bundle is one footprint under its lead (the union of its members' files,
    /// folders, migrations and outside needs); a need on any member of a bundle is a need on its lead.
    /// </summary>
    public static IReadOnlyList<IssueFootprint> Merge(IReadOnlyList<IssueFootprint> footprints, IReadOnlyList<PlannedBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(footprints);
        ArgumentNullException.ThrowIfNull(bundles);
        var leadOf = bundles.SelectMany(b => b.Issues.Select(i => (Issue: i, b.Lead))).ToDictionary(p => p.Issue, p => p.Lead);
        int Lead(int issue) => leadOf.GetValueOrDefault(issue, issue);
        return [.. footprints.GroupBy(f => Lead(f.Issue)).OrderBy(g => g.Key).Select(g => new IssueFootprint(
            g.Key,
            [.. g.SelectMany(f => f.Files).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. g.SelectMany(f => f.Folders).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. g.SelectMany(f => f.Migrations).Distinct(StringComparer.Ordinal)],
            [.. g.SelectMany(f => f.Needs).Select(Lead).Where(n => n != g.Key).Distinct().Order()]))];
    }

    /// <summary>Whether the needs between groups (each issue's group is <paramref name="group"/>[issue]) go round in a circle.</summary>
    private static bool HasCycle(List<IssueFootprint> issues, HashSet<int> known, Dictionary<int, int> group)
    {
        var edges = issues.SelectMany(f => f.Needs.Where(known.Contains).Select(n => (From: group[f.Issue], To: group[n])))
            .Where(e => e.From != e.To).Distinct().ToLookup(e => e.From, e => e.To);
        var state = new Dictionary<int, bool>(); // false: on the path; true: done
        bool Visit(int node)
        {
            if (state.TryGetValue(node, out var done))
            {
                return !done;
            }

            state[node] = false;
            if (edges[node].Any(Visit))
            {
                return true;
            }

            state[node] = true;
            return false;
        }

        return group.Values.Distinct().Any(Visit);
    }
}
