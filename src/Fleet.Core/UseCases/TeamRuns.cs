using System.Globalization;
using Fleet.Team;

namespace Fleet.UseCases;

/// <summary>Finds a team run's folder from what a person gives: a run id, a run folder, or nothing (the repository's latest run).</summary>
public static class TeamRuns
{
    /// <param name="given">A run id (<c>t-…</c>), a run folder, or null for the newest run of the repository.</param>
    /// <param name="repository">The repository's top folder, for a run id or the newest run.</param>
    public static string Find(string? given, string? repository)
    {
        if (given is not null && Directory.Exists(given) && File.Exists(TeamRunSpec.PathIn(given)))
        {
            return Path.GetFullPath(given);
        }

        if (repository is null)
        {
            throw new FleetOperationException(given is null
                ? "not inside a git repository: give the team run's folder (REPO/.fleet/team/runs/RUN)"
                : $"{given}: no such team run (give its folder, REPO/.fleet/team/runs/RUN)");
        }

        var layout = new TeamLayout(repository);
        if (given is not null)
        {
            var dir = layout.RunDir(given);
            return File.Exists(TeamRunSpec.PathIn(dir)) ? dir : throw new FleetOperationException($"{given}: no such team run in {repository}");
        }

        var runs = Directory.Exists(layout.RunsDir)
            ? Directory.EnumerateDirectories(layout.RunsDir).Where(d => File.Exists(TeamRunSpec.PathIn(d))).Order(StringComparer.Ordinal).ToList()
            : [];
        return runs.Count > 0
            ? runs[^1]
            : throw new FleetOperationException(string.Create(CultureInfo.InvariantCulture, $"no team run in {repository} yet (start one with: fleet team run)"));
    }
}
