using Fleet.Reports;
using Spectre.Console;
using Spectre.Console.Rendering;
using SpectreColumn = Spectre.Console.TableColumn;

namespace Fleet.Cli.Hosting;

/// <summary>Human reports on the terminal: Spectre.Console tables fitted to its width, plain columns elsewhere.</summary>
internal static class HumanOutput
{
    /// <summary>A Spectre console over <paramref name="writer"/> that does exactly what <paramref name="terminal"/> says, whatever the process's environment.</summary>
    public static IAnsiConsole Console(TextWriter writer, Terminal terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal.IsTty ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = terminal.Color ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = terminal.IsTty ? InteractionSupport.Yes : InteractionSupport.No,
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
            EnvironmentVariables = new Dictionary<string, string>(),
        });
        console.Profile.Width = Math.Max(20, terminal.Width);
        console.Profile.Capabilities.Unicode = true;
        return console;
    }

    public static Task WriteAsync(ICliConsole console, HumanTable table) => console.Out.WriteAsync(Render(table, console.Terminal));

    /// <summary>The table as <paramref name="terminal"/> shows it.</summary>
    public static string Render(HumanTable table, Terminal terminal)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!terminal.IsTty)
            return table.Plain();

        var fitted = Fit(table, terminal.Width);
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var console = Console(text, terminal);
        console.Write(ToSpectre(fitted, terminal.Color));

        // A plain line, not a Spectre paragraph: the terminal wraps it, with no padding left at the ends of lines.
        if (fitted.Footnote is { } note)
            text.WriteLine(terminal.Color ? $"\u001b[2m{note}\u001b[0m" : note);
        return text.ToString();
    }

    /// <summary>
    /// Leaves out the columns a table may lose (highest <see cref="Fleet.Reports.TableColumn.DropOrder"/> first) until its
    /// widest rows fit <paramref name="width"/>, and says so under it; what still does not fit wraps.
    /// </summary>
    public static HumanTable Fit(HumanTable table, int width)
    {
        ArgumentNullException.ThrowIfNull(table);
        var dropped = new HashSet<int>();
        int Needed() => table.Columns.Select((c, i) => (c, i)).Where(x => !dropped.Contains(x.i))
            .Sum(x => table.Rows.Select(r => x.i < r.Cells.Count ? r.Cells[x.i].Length : 0).Append(x.c.Header.Length).Max() + 3) + 1;
        while (Needed() > width)
        {
            var next = table.Columns.Select((c, i) => (c, i)).Where(x => x.c.DropOrder > 0 && !dropped.Contains(x.i)).OrderByDescending(x => x.c.DropOrder).Select(x => (int?)x.i).FirstOrDefault();
            if (next is not { } column)
                break;
            dropped.Add(column);
        }

        if (dropped.Count == 0)
            return table;
        var names = string.Join(", ", dropped.Order().Select(i => table.Columns[i].Header));
        var note = $"not shown at this width: {names} (--json has them)";
        return table.Without(dropped) with { Footnote = table.Footnote is { } f ? f + "\n" + note : note };
    }

    /// <summary>A duration as a person reads it: 12.3s, 4m 05s, 2h 07m.</summary>
    public static string Elapsed(TimeSpan t)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return t.TotalSeconds < 60 ? string.Create(inv, $"{Math.Max(0, t.TotalSeconds):0.0}s")
            : t.TotalHours < 1 ? string.Create(inv, $"{(int)t.TotalMinutes}m {t.Seconds:00}s")
            : string.Create(inv, $"{(int)t.TotalHours}h {t.Minutes:00}m");
    }

    private static Table ToSpectre(HumanTable table, bool color)
    {
        var spectre = new Table { Border = TableBorder.Rounded };
        if (color)
            spectre.BorderStyle = new Style(foreground: Color.Grey);
        var total = table.Rows.LastOrDefault(r => r.Kind == RowKind.Total);
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var c = table.Columns[i];
            var column = new SpectreColumn(new Text(c.Header, color ? new Style(decoration: Decoration.Bold) : Style.Plain));
            if (c.Right)
                column.RightAligned();
            if (total is not null)
                column.Footer(new Text(i < total.Cells.Count ? total.Cells[i] : "", color ? new Style(decoration: Decoration.Bold) : Style.Plain));
            spectre.AddColumn(column);
        }

        spectre.ShowFooters = total is not null;
        foreach (var row in table.Rows.Where(r => r.Kind != RowKind.Total))
        {
            spectre.AddRow(table.Columns.Select((c, i) => (IRenderable)new Text(i < row.Cells.Count ? row.Cells[i] : "", StyleOf(row, c, i < row.Cells.Count ? row.Cells[i] : "", color))));
        }

        return spectre;
    }

    private static Style StyleOf(Fleet.Reports.TableRow row, Fleet.Reports.TableColumn column, string cell, bool color)
    {
        if (!color)
            return Style.Plain;
        if (row.Kind == RowKind.Subtotal)
            return new Style(decoration: Decoration.Italic | Decoration.Dim);
        return column.Toned ? ToneStyle(Tones.Of(cell)) : Style.Plain;
    }

    public static Style ToneStyle(Tone tone) => tone switch
    {
        Tone.Good => new Style(foreground: Color.Green),
        Tone.Bad => new Style(foreground: Color.Red),
        Tone.Waiting => new Style(foreground: Color.Yellow),
        Tone.Running => new Style(foreground: Color.Blue),
        _ => Style.Plain,
    };
}
