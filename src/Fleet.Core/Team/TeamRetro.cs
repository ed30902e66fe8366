using System.Globalization;
using System.Text;
using Fleet.Pricing;

namespace Fleet.Team;

/// <summary>
/// A team run's retro, posted as a forge issue labelled <c>fleet-retro</c>: per issue, how its squad went; at the top,
/// interventions per issue — the number the flywheel exists to push down. Each squad's full engagement log is on its
/// pull request.
/// </summary>
public static class TeamRetro
{
    public const string InterventionsLine = "Interventions per issue:";

    public static string Markdown(string run, TeamRunSettings settings, IReadOnlyList<SquadOutcome> squads)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(squads);
        var ran = squads.Where(s => s.SquadRoot is not null).ToList();
        var interventions = ran.Sum(s => s.Interventions);
        var perIssue = ran.Count == 0 ? 0 : (double)interventions / ran.Count;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Fleet retro: team run {run}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Repository {settings.Repository}, base {settings.Base}{(settings.PlanFile is null ? "" : $", plan {settings.PlanFile}")}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Squads: developer {settings.Developer.Name()}, adversarial reviewer {settings.Reviewer.Name()}, SDET {settings.Sdet.Name()}.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{InterventionsLine} {perIssue.ToString("0.##", CultureInfo.InvariantCulture)} ({interventions} over {ran.Count} squads); cost {Usd.Text(ran.Sum(s => s.CostUsd))}; approved {squads.Count(s => s.Status == SquadStatus.Approved)} of {squads.Count} issues.");
        text.AppendLine();
        text.AppendLine("| issue | outcome | iterations | last verdict | interventions | cost | pull request |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var s in squads)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| #{s.Issue} | {s.Status} | {s.Iterations} | {s.LastVerdict ?? "-"} | {s.Interventions} | {Usd.Text(s.CostUsd)} | {s.PullRequestUrl ?? "-"} |");
        }

        text.AppendLine();
        text.AppendLine("## Why");
        text.AppendLine();
        foreach (var s in squads)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- #{s.Issue}: {s.Reason}");
        }

        text.AppendLine();
        text.AppendLine("Each squad's engagement log (gates, stalls, rework) is a comment on its pull request; `fleet retro SQUAD_ROOT` shows it again.");
        return text.ToString();
    }
}
