using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Fleet.Retro;
using Fleet.State;

namespace Fleet.Trend;

/// <summary>One run of a fleet root, as the trend sees it: the retrospective's totals divided by the run's workers.</summary>
/// <param name="IterationsToApproval">Mean iterations to the first lgtm over the workers that got one; null when none did.</param>
/// <param name="GatesByClass">Every gate of the run (workers' and the run's own) counted by class.</param>
public sealed record TrendRow(
    string Run,
    DateTimeOffset StartedAt,
    int Workers,
    int Interventions,
    double InterventionsPerWorker,
    decimal CostUsd,
    decimal CostPerWorkerUsd,
    int Approved,
    double? IterationsToApproval,
    IReadOnlyDictionary<string, int> GatesByClass);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<TrendRow>))]
public sealed partial class TrendJsonContext : JsonSerializerContext;

/// <summary>Every run of a fleet root in order, each reduced from its retrospective (<see cref="RetroReport.Build"/>).</summary>
public static class TrendReport
{
    public static IReadOnlyList<TrendRow> Build(string root, TimeSpan stallAfter)
    {
        var layout = new FleetLayout(root);
        var starts = Journal.Read(layout.JournalFile).Where(e => e.Type == JournalTypes.RunStarted && e.Run is not null).ToList();
        if (starts.Count == 0)
        {
            throw new InvalidOperationException($"{layout.Relative(layout.JournalFile)}: no run in the journal");
        }

        return [.. starts.Select(s => Row(RetroReport.Build(root, s.Run, stallAfter), s.Ts))];
    }

    public static TrendRow Row(Retrospective r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var workers = r.Workers.Count;
        var approved = r.Workers.Where(w => w.IterationsToApproval is not null).ToList();
        var classes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in r.Workers.SelectMany(w => w.Gates).Concat(r.RunGates))
        {
            classes[g.Class] = classes.GetValueOrDefault(g.Class) + 1;
        }

        return new TrendRow(r.Run, startedAt, workers, r.Totals.Interventions,
            workers == 0 ? 0 : Math.Round((double)r.Totals.Interventions / workers, 2),
            r.Totals.CostUsd, workers == 0 ? 0m : Math.Round(r.Totals.CostUsd / workers, 4),
            approved.Count, approved.Count == 0 ? null : Math.Round(approved.Average(w => (double)w.IterationsToApproval!.Value), 2),
            classes);
    }

    public static string Table(IReadOnlyList<TrendRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var inv = CultureInfo.InvariantCulture;
        string[] head = ["run", "date", "workers", "interventions/worker", "cost/worker", "iterations to approval", "gates by class"];
        var cells = rows.Select(r => new[]
        {
            r.Run, r.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", inv), r.Workers.ToString(inv),
            r.InterventionsPerWorker.ToString("0.##", inv), r.CostPerWorkerUsd.ToString("$0.00##", inv),
            r.IterationsToApproval is { } a ? a.ToString("0.##", inv) + $" ({r.Approved}/{r.Workers} approved)" : "not approved",
            Classes(r),
        }).ToList();
        var widths = head.Select((h, i) => cells.Select(c => c[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] c) => text.AppendLine(string.Join("  ", c.Select((x, i) => i == c.Length - 1 ? x : x.PadRight(widths[i]))).TrimEnd());
        Line(head);
        Line([.. widths.Select(w => new string('-', w))]);
        cells.ForEach(Line);
        return text.ToString();
    }

    public static string Classes(TrendRow r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.GatesByClass.Count == 0 ? "none" : string.Join(", ", r.GatesByClass.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value}")));
    }
}
