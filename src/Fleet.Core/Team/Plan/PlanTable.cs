using System.Globalization;
using System.Text;

namespace Fleet.Team;

/// <summary>A team plan as a fixed-width table for a terminal: each wave's issues, then why issues wait, what is taken, and the notes.</summary>
public static class PlanTable
{
    public static string Render(TeamPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var titles = plan.Issues.GroupBy(i => i.Number).ToDictionary(g => g.Key, g => g.First().Title);
        var taken = plan.Issues.Where(i => i.Taken is not null).ToList();
        var planned = plan.Waves.Sum(w => w.Issues.Count);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Plan for {plan.Repo} (base {plan.Base}, forge {plan.Forge.Kind}): ")
            .Append(CultureInfo.InvariantCulture, $"{Count(planned, "issue")} in {Count(plan.Waves.Count, "wave")}")
            .AppendLine(taken.Count == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $", {taken.Count} taken"));

        var leadOf = plan.Bundles.SelectMany(b => b.Issues.Select(i => (Issue: i, b.Lead))).DistinctBy(p => p.Issue).ToDictionary(p => p.Issue, p => p.Lead);
        var rows = plan.Waves.SelectMany(w => w.Issues.Select((issue, k) => (
            Wave: k == 0 ? w.Wave.ToString(CultureInfo.InvariantCulture) : string.Empty,
            Issue: $"#{issue}",
            Title: titles.GetValueOrDefault(issue, "(not in issues)") + (leadOf.TryGetValue(issue, out var lead) ? $"  [bundle #{lead}]" : string.Empty)))).ToList();
        var waveWidth = rows.Select(r => r.Wave.Length).Append("Wave".Length).Max();
        var issueWidth = rows.Select(r => r.Issue.Length).Append("Issue".Length).Max();
        var titleWidth = rows.Select(r => r.Title.Length).Append("Title".Length).Max();
        text.AppendLine();
        Row(text, ("Wave", waveWidth), ("Issue", issueWidth), ("Title", 0));
        Row(text, (new string('-', waveWidth), waveWidth), (new string('-', issueWidth), issueWidth), (new string('-', titleWidth), 0));
        foreach (var (wave, issue, title) in rows)
        {
            Row(text, (wave, waveWidth), (issue, issueWidth), (title, 0));
        }

        if (rows.Count == 0)
        {
            text.AppendLine("(no issue to run)");
        }

        if (plan.MaxSquads is { } maxSquads)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"At most {Count(maxSquads, "squad")} at once (max_squads in the plan, or team run --max-squads N); the others wait their turn in the wave.");
        }

        Section(text, "Bundles (one squad, one branch, one pull request closing each)", plan.Bundles.Select(b => b.Reason));
        Section(text, "Why issues wait", plan.Serializations.Select(s => s.Reason));
        var takenWidth = taken.Select(i => $"#{i.Number}".Length).DefaultIfEmpty(0).Max();
        Section(text, "Taken (never started)", taken.Select(i =>
            $"{$"#{i.Number}".PadRight(takenWidth)}  {i.Title}: {i.Taken!.Reason}{(i.Taken.Url is null ? string.Empty : $" {i.Taken.Url}")}"));
        Section(text, "Notes", plan.Notes);
        return text.ToString();
    }

    private static void Row(StringBuilder text, params (string Text, int Width)[] cells) =>
        text.AppendLine(string.Join("  ", cells.Select(c => c.Text.PadRight(c.Width))).TrimEnd());

    private static void Section(StringBuilder text, string heading, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        if (list.Count == 0)
        {
            return;
        }

        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{heading}:");
        list.ForEach(line => text.AppendLine(CultureInfo.InvariantCulture, $"  {line}"));
    }

    private static string Count(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? string.Empty : "s")}");
}
