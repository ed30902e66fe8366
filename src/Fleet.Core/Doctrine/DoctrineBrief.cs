using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Pricing;
using Fleet.Retro;
using Fleet.State;

namespace Fleet.Doctrine;

/// <summary>The "Doctrine (from earlier runs)" section of every worker's brief: <c>.fleet/doctrine.md</c> and the previous run's retro totals.</summary>
public static class DoctrineBrief
{
    public const string Heading = "## Doctrine (from earlier runs)";

    /// <summary>The section, or null when the fleet root has no <c>.fleet/doctrine.md</c>.</summary>
    public static async Task<string?> SectionAsync(string root, CancellationToken cancellationToken)
    {
        var file = DoctrineFiles.Doctrine(root);
        if (!Paths.InputFiles.Exists(file, DoctrineFiles.DoctrineFileName))
        {
            return null;
        }

        var doctrine = (await Paths.InputFiles.ReadTextAsync(file, DoctrineFiles.DoctrineFileName, cancellationToken)).Trim();
        var text = new StringBuilder().AppendLine(Heading).AppendLine();
        if (PreviousRun(root) is { } previous)
        {
            text.AppendLine(previous).AppendLine();
        }

        // The file's own headings move one level down, under this section's.
        foreach (var line in doctrine.ReplaceLineEndings("\n").Split('\n'))
        {
            text.AppendLine(line.StartsWith('#') ? "##" + line : line);
        }

        return text.ToString();
    }

    /// <summary>One line of the previous run's retro totals (the run before the latest in the journal), or null.</summary>
    public static string? PreviousRun(string root)
    {
        try
        {
            var layout = new FleetLayout(root);
            var runs = Journal.Read(layout.JournalFile).Where(e => e.Type == JournalTypes.RunStarted && e.Run is not null).Select(e => e.Run!).ToList();
            if (runs.Count < 2)
            {
                return null;
            }

            var t = RetroReport.Build(root, runs[^2], TimeSpan.FromMinutes(5)).Totals;
            return string.Create(CultureInfo.InvariantCulture,
                $"Previous run {t.Run}: {t.Iterations} iterations, {t.Spawns} worker spawns, {Usd.Text(t.CostUsd)}; {t.Gates} gates, {t.Interventions} decided by a person (waited {RetroReport.Seconds(t.WaitedSeconds)}); verdicts lgtm {t.Lgtm} / iterate {t.Iterate}.");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
