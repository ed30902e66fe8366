using System.Globalization;
using Fleet.Pricing;
using Fleet.Reports;

namespace Fleet.Telemetry.Reports;

/// <summary>The human table of a usage report (not by block): a line per model in each group, a subtotal under a group of several models, the total.</summary>
public static class UsageTable
{
    public static HumanTable Of(UsageReportJson report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var byModel = report.By == "model";
        var inv = CultureInfo.InvariantCulture;
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        List<Fleet.Reports.TableColumn> columns = [new(report.By)];
        if (!byModel)
            columns.Add(new("model"));
        columns.AddRange([new("input", Right: true), new("output", Right: true), new("cache write", Right: true, DropOrder: 2), new("cache read", Right: true, DropOrder: 1), new("cost", Right: true)]);

        string[] Numbers(long input, long output, long write, long read, string cost) => [N(input), N(output), N(write), N(read), cost];
        var rows = new List<TableRow>();
        foreach (var row in report.Rows)
        {
            if (byModel)
            {
                // The group is the model: one line, its name once and whole.
                rows.Add(new([row.Key, .. Numbers(row.InputTokens, row.OutputTokens, row.CacheCreationTokens, row.CacheReadTokens, Cost(row.Models.All(m => m.CostUsd is null) ? null : row.CostUsd))]));
                continue;
            }

            var first = true;
            foreach (var m in row.Models)
            {
                rows.Add(new([first ? row.Key : "", ModelNames.Shorten(m.Model), .. Numbers(m.InputTokens, m.OutputTokens, m.CacheCreationTokens, m.CacheReadTokens, Cost(m.CostUsd))]));
                first = false;
            }

            if (row.Models.Count > 1)
                rows.Add(new(["", "subtotal", .. Numbers(row.InputTokens, row.OutputTokens, row.CacheCreationTokens, row.CacheReadTokens, Cost(row.CostUsd))], RowKind.Subtotal));
        }

        var t = report.Totals;
        rows.Add(new(["total", .. byModel ? Array.Empty<string>() : [""], .. Numbers(t.InputTokens, t.OutputTokens, t.CacheCreationTokens, t.CacheReadTokens, Usd.Cents(t.CostUsd))], RowKind.Total));
        return new HumanTable(columns, rows);
    }

    private static string Cost(decimal? usd) => usd is { } c ? Usd.Cents(c) : "?";
}
