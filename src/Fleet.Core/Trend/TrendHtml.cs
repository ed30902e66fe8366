using System.Globalization;
using System.Net;
using System.Text;
using Fleet.Pricing;

namespace Fleet.Trend;

/// <summary>The trend as one self-contained HTML page: inline CSS and inline SVG charts, no script, no external URL.</summary>
public static class TrendHtml
{
    private const int Width = 900;
    private const int Height = 280;
    private const int Left = 64;
    private const int Right = 24;
    private const int Top = 24;
    private const int Bottom = 56;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"];

    public static string Render(IReadOnlyList<TrendRow> rows, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>").AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .AppendLine(Inv, $"<title>{E(title ?? "Fleet trend")}</title>")
            .AppendLine("""
                <style>
                body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
                h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
                table { border-collapse: collapse; margin-top: 8px; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
                th { background: #f3f3f3; } svg { display: block; margin-top: 8px; } svg text { font: 11px system-ui, sans-serif; fill: #333; }
                .axis { stroke: #888; } .grid { stroke: #e5e5e5; } .line { fill: none; stroke-width: 2.5; }
                </style>
                </head><body>
                """)
            .AppendLine(Inv, $"<h1>{E(title ?? "Fleet trend")}</h1>")
            .AppendLine(Inv, $"<p>{rows.Count} run(s). Interventions are gates a person decided; per worker means divided by the run's workers.</p>");
        html.Append(Charts(rows));
        html.AppendLine("<h2>Runs</h2><table><tr><th>run</th><th>date</th><th>workers</th><th>interventions/worker</th><th>cost/worker</th><th>iterations to approval</th><th>gates by class</th></tr>");
        foreach (var r in rows)
        {
            html.AppendLine(Inv, $"<tr><td>{E(r.Run)}</td><td>{r.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", Inv)}</td><td>{r.Workers}</td><td>{r.InterventionsPerWorker.ToString("0.##", Inv)}</td><td>{Usd.Text(r.CostPerWorkerUsd)}</td><td>{E(TrendReport.Approval(r))}</td><td>{E(TrendReport.Classes(r))}</td></tr>");
        }

        return html.AppendLine("</table>").AppendLine("</body></html>").ToString();
    }

    /// <summary>The three charts (headings and inline SVG), for a page of the caller's own (the dashboard's fleet page).</summary>
    public static string Charts(IReadOnlyList<TrendRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new StringBuilder()
            .AppendLine("<h2>Interventions per worker</h2>").AppendLine(LineChart(rows, r => r.InterventionsPerWorker, "#e15759", v => v.ToString("0.##", Inv)))
            .AppendLine("<h2>Cost per worker (USD)</h2>").AppendLine(LineChart(rows, r => (double)r.CostPerWorkerUsd, "#4e79a7", v => Usd.Text((decimal)v)))
            .AppendLine("<h2>Gates by class</h2>").AppendLine(StackedBars(rows))
            .ToString();
    }

    private static string LineChart(IReadOnlyList<TrendRow> rows, Func<TrendRow, double> value, string color, Func<double, string> label)
    {
        var values = rows.Select(value).ToList();
        var max = Nice(values.DefaultIfEmpty(0).Max());
        var svg = Frame(rows, max, [.. Enumerable.Range(0, 5).Select(t => max * t / 4)], label, out var x, out var y);
        if (values.Count > 0)
        {
            svg.AppendLine(Inv, $"<polyline class=\"line\" stroke=\"{color}\" points=\"{string.Join(' ', values.Select((v, i) => $"{F(x(i))},{F(y(v))}"))}\"/>");
            for (var i = 0; i < values.Count; i++)
            {
                svg.AppendLine(Inv, $"<circle cx=\"{F(x(i))}\" cy=\"{F(y(values[i]))}\" r=\"4\" fill=\"{color}\"><title>{E(rows[i].Run)}: {E(label(values[i]))}</title></circle>")
                    .AppendLine(Inv, $"<text x=\"{F(x(i))}\" y=\"{F(y(values[i]) - 8)}\" text-anchor=\"middle\">{E(label(values[i]))}</text>");
            }
        }

        return svg.AppendLine("</svg>").ToString();
    }

    private static string StackedBars(IReadOnlyList<TrendRow> rows)
    {
        var classes = rows.SelectMany(r => r.GatesByClass.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var ticks = CountTicks(rows.Select(r => r.GatesByClass.Values.Sum()).DefaultIfEmpty(0).Max());
        var svg = Frame(rows, ticks[^1], [.. ticks.Select(t => (double)t)], v => v.ToString("0", Inv), out var x, out var y);
        var bar = Math.Min(60.0, (Width - Left - Right) / Math.Max(1, rows.Count) * 0.6);
        for (var i = 0; i < rows.Count; i++)
        {
            var sum = 0.0;
            foreach (var (cls, k) in classes.Select((c, k) => (c, k)))
            {
                if (rows[i].GatesByClass.GetValueOrDefault(cls) is var n and > 0)
                {
                    svg.AppendLine(Inv, $"<rect x=\"{F(x(i) - bar / 2)}\" y=\"{F(y(sum + n))}\" width=\"{F(bar)}\" height=\"{F(y(sum) - y(sum + n))}\" fill=\"{Palette[k % Palette.Length]}\"><title>{E(rows[i].Run)}: {E(cls)} {n}</title></rect>");
                    sum += n;
                }
            }

            svg.AppendLine(Inv, $"<text x=\"{F(x(i))}\" y=\"{F(y(sum) - 6)}\" text-anchor=\"middle\">{sum.ToString("0", Inv)}</text>");
        }

        svg.AppendLine("</svg>");
        var legend = new StringBuilder();
        legend.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{20 * ((classes.Count + 3) / 4) + 8}\" role=\"img\" aria-label=\"legend\">");
        foreach (var (cls, k) in classes.Select((c, k) => (c, k)))
        {
            var lx = Left + (k % 4) * 200;
            var ly = 6 + (k / 4) * 20;
            legend.AppendLine(Inv, $"<rect x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"{Palette[k % Palette.Length]}\"/><text x=\"{lx + 18}\" y=\"{ly + 11}\">{E(cls)}</text>");
        }

        return svg.Append(legend).AppendLine("</svg>").ToString();
    }

    /// <summary>The chart's open svg tag, axes, grid and run labels; x(i) is run i's centre, y(v) the height of value v.</summary>
    /// <summary>
    /// The ticks of an axis of counts: whole numbers, evenly spaced, none repeated, at most five, the top above the
    /// largest count (room for its label).
    /// </summary>
    public static IReadOnlyList<int> CountTicks(int largest)
    {
        var step = Math.Max(1, (int)Math.Ceiling((largest + 1) / 4.0));
        var steps = Math.Max(1, (int)Math.Ceiling((largest + 1) / (double)step));
        return [.. Enumerable.Range(0, steps + 1).Select(t => t * step)];
    }

    private static StringBuilder Frame(IReadOnlyList<TrendRow> rows, double max, IReadOnlyList<double> ticks, Func<double, string> label, out Func<int, double> x, out Func<double, double> y)
    {
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var n = Math.Max(1, rows.Count);
        x = i => Left + plotW * (i + 0.5) / n;
        y = v => Top + plotH * (1 - v / max);
        var svg = new StringBuilder();
        svg.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">");
        foreach (var v in ticks)
        {
            var gy = y(v);
            svg.AppendLine(Inv, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(gy)}\" y2=\"{F(gy)}\"/><text x=\"{Left - 6}\" y=\"{F(gy + 4)}\" text-anchor=\"end\">{E(label(v))}</text>");
        }

        svg.AppendLine(Inv, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + plotH}\"/><line class=\"axis\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Top + plotH}\" y2=\"{Top + plotH}\"/>");
        var labels = TrendReport.ShortRunLabels([.. rows.Select(r => r.Run)], (int)(plotW / n / 6.5));
        for (var i = 0; i < rows.Count; i++)
        {
            var run = labels[i];
            svg.AppendLine(Inv, $"<text x=\"{F(x(i))}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{E(run)}</text><text x=\"{F(x(i))}\" y=\"{Top + plotH + 30}\" text-anchor=\"middle\">{rows[i].StartedAt.UtcDateTime.ToString("MM-dd HH:mm", Inv)}</text>");
        }

        return svg;
    }

    private static double Nice(double max)
    {
        if (max <= 0)
        {
            return 1;
        }

        var step = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var m in new[] { 1.0, 2.0, 4.0, 8.0, 10.0 })
        {
            if (m * step >= max * 1.1)
            {
                return m * step;
            }
        }

        return 10 * step;
    }

    private static string F(double v) => v.ToString("0.#", Inv);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
