using System.Globalization;
using System.Text.Json.Serialization;
using Fleet.Pricing;
using Fleet.Reports;
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
    IReadOnlyDictionary<string, int> GatesByClass)
{
    /// <summary>The fleet's name, as the run's journal recorded it.</summary>
    public string? Fleet { get; init; }

    /// <summary>The fleet's type (<c>dag</c>, <c>iterative</c>, <c>worktree</c>).</summary>
    public string? FleetType { get; init; }

    /// <summary>False for a run no reviewer judged (a dag): it has no approval to show.</summary>
    public bool HasVerdicts { get; init; } = true;

    /// <summary>The run's arm of the memory experiment: <c>memory</c> or <c>no-memory</c>.</summary>
    public string Arm { get; init; } = RunArms.Memory;

    /// <summary>Each worker's cost in the run, by the rule every report uses (<see cref="RunState.WorkerCostUsd"/>).</summary>
    public IReadOnlyDictionary<string, decimal> CostByWorker { get; init; } = new Dictionary<string, decimal>();
}

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

        return [.. starts.Select(s => Row(RetroReport.Build(root, s.Run, stallAfter), s.Ts, s.FleetType))];
    }

    public static TrendRow Row(Retrospective r, DateTimeOffset startedAt, string? fleetType = null)
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
            classes)
        {
            Fleet = r.Fleet,
            FleetType = fleetType,
            HasVerdicts = fleetType is null or "iterative" || r.Totals.Lgtm + r.Totals.Iterate > 0 || r.Workers.Any(w => w.Verdicts.Count > 0),
            CostByWorker = r.Workers.ToDictionary(w => w.Worker, w => w.CostUsd, StringComparer.Ordinal),
            Arm = r.Arm,
        };
    }

    /// <summary>A run's approval as a person reads it: mean iterations to approval, "not approved", or "no verdict" for a run no reviewer judged.</summary>
    public static string Approval(TrendRow r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.IterationsToApproval is { } a ? a.ToString("0.##", CultureInfo.InvariantCulture) + $" ({r.Approved}/{r.Workers} approved)"
            : r.HasVerdicts ? "not approved" : "no verdict";
    }

    /// <summary>
    /// Run ids as short as a chart's axis needs, without losing what tells them apart: the part all of them share at the
    /// start (up to a separator) is dropped, and a label still too long keeps its end (the distinguishing part), never its start.
    /// </summary>
    public static IReadOnlyList<string> ShortRunLabels(IReadOnlyList<string> runs, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var common = 0;
        if (runs.Count > 1)
        {
            common = runs.Min(r => r.Length);
            foreach (var r in runs)
            {
                var i = 0;
                while (i < common && r[i] == runs[0][i])
                    i++;
                common = i;
            }

            // Back to just after a separator, so no label starts in the middle of a part.
            while (common > 0 && runs[0][common - 1] is not ('-' or '_' or '.' or '/' or ':'))
                common--;
        }

        return [.. runs.Select(r =>
        {
            var label = r[common..];
            return label.Length <= Math.Max(maxChars, 2) ? label : "…" + label[^(Math.Max(maxChars, 2) - 1)..];
        })];
    }

    public static string Table(IReadOnlyList<TrendRow> rows) => Human(rows).Plain();

    /// <summary>The table as data; a narrow terminal loses the date first (the run id carries it), then the gates and interventions.</summary>
    public static HumanTable Human(IReadOnlyList<TrendRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var inv = CultureInfo.InvariantCulture;
        Fleet.Reports.TableColumn[] head =
        [
            new("run"), new("date", DropOrder: 3), new("workers"), new("interventions/worker", DropOrder: 1), new("cost/worker"),
            new("iterations to approval", Toned: true), new("gates by class", DropOrder: 2),
        ];
        return new HumanTable(head, [.. rows.Select(r => new TableRow(
        [
            r.Run, r.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", inv), r.Workers.ToString(inv),
            r.InterventionsPerWorker.ToString("0.##", inv), Usd.Text(r.CostPerWorkerUsd),
            Approval(r),
            Classes(r),
        ]))]);
    }

    /// <summary>
    /// The memory experiment side by side: per arm, its runs and the interventions per issue (per worker outside team
    /// mode) over all of them. Empty when every run is of one arm, so a trend without the experiment reads as before.
    /// </summary>
    public static string Arms(IReadOnlyList<TrendRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var arms = rows.GroupBy(r => r.Arm, StringComparer.Ordinal).OrderBy(g => g.Key == RunArms.Memory ? 0 : 1).ToList();
        if (arms.Count < 2)
        {
            return "";
        }

        var inv = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder().AppendLine().AppendLine("Interventions per issue by arm:");
        foreach (var arm in arms)
        {
            var workers = arm.Sum(r => r.Workers);
            var interventions = arm.Sum(r => r.Interventions);
            var perIssue = workers == 0 ? 0 : Math.Round((double)interventions / workers, 2);
            text.AppendLine(inv, $"  {arm.Key,-9}  {arm.Count()} run{(arm.Count() == 1 ? "" : "s")}  {interventions} interventions over {workers} issues  {perIssue.ToString("0.##", inv)} per issue");
        }

        return text.ToString();
    }

    public static string Classes(TrendRow r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.GatesByClass.Count == 0 ? "none" : string.Join(", ", r.GatesByClass.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value}")));
    }
}
