namespace Fleet.Team;

/// <summary>A plan's waves as a team run takes them: one <see cref="RunIssue"/> per squad, a bundle as its lead with the others bundled.</summary>
public static class TeamRunWaves
{
    public static IReadOnlyList<IReadOnlyList<RunIssue>> From(TeamPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var byNumber = plan.Issues.GroupBy(i => i.Number).ToDictionary(g => g.Key, g => g.First());
        RunIssue Run(int n) => new(n, byNumber[n].Title, byNumber[n].Url, byNumber[n].Footprint.Needs, byNumber[n].Taken);
        var bundleOf = plan.Bundles.SelectMany(b => b.Issues.Select(i => (Issue: i, Bundle: b))).DistinctBy(p => p.Issue).ToDictionary(p => p.Issue, p => p.Bundle);
        return [.. plan.Waves.Select(w => (IReadOnlyList<RunIssue>)[.. w.Issues
            .Where(n => !bundleOf.TryGetValue(n, out var b) || b.Lead == n)
            .Select(n => bundleOf.TryGetValue(n, out var b)
                ? Run(n) with { Bundled = [.. b.Issues.Skip(1).Where(w.Issues.Contains).Select(Run)] }
                : Run(n))])];
    }
}
