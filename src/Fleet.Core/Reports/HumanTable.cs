using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Reports;

/// <summary>What a table row is: a plain row, the sum of the rows of its group above it, or the sum of all.</summary>
public enum RowKind
{
    Row,
    Subtotal,
    Total,
}

/// <param name="Header">The column's heading.</param>
/// <param name="Right">Numbers: aligned right.</param>
/// <param name="DropOrder">0: always shown; otherwise the column may be left out where the terminal is too narrow, the highest first.</param>
/// <param name="Toned">The cells are state words that a colour terminal shows in their tone (<see cref="Tones"/>).</param>
public sealed record TableColumn(string Header, bool Right = false, int DropOrder = 0, bool Toned = false);

public sealed record TableRow(IReadOnlyList<string> Cells, RowKind Kind = RowKind.Row);

/// <summary>
/// A report's table as data, so one report renders two ways: plain, stable columns for scripts and logs
/// (<see cref="Plain"/>), and a table fitted to the terminal (the CLI's renderer).
/// </summary>
public sealed record HumanTable(IReadOnlyList<TableColumn> Columns, IReadOnlyList<TableRow> Rows)
{
    /// <summary>A line the table's renderers print under it (a note on what was left out, say); none by default.</summary>
    public string? Footnote { get; init; }

    /// <summary>
    /// Columns as wide as their widest cell, two spaces apart, numbers right-aligned, dashes under the heading
    /// and above the total; nothing is cut or wrapped, so a script can split the columns whatever the width.
    /// </summary>
    public string Plain()
    {
        var widths = Columns.Select((c, i) => Rows.Select(r => Cell(r, i).Length).Append(c.Header.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) => text.AppendLine(string.Join("  ", cells.Select((x, i) =>
            Columns[i].Right ? x.PadLeft(widths[i]) : i == cells.Count - 1 ? x : x.PadRight(widths[i]))).TrimEnd());
        var rule = widths.Select(w => new string('-', w)).ToArray();
        Line([.. Columns.Select(c => c.Header)]);
        Line(rule);
        foreach (var row in Rows)
        {
            if (row.Kind == RowKind.Total)
                Line(rule);
            Line([.. Columns.Select((_, i) => Cell(row, i))]);
        }

        if (Footnote is { } note)
            text.AppendLine(note);
        return text.ToString();
    }

    /// <summary>The table without the columns a narrow terminal leaves out (<see cref="TableColumn.DropOrder"/>).</summary>
    public HumanTable Without(IReadOnlySet<int> columns) => this with
    {
        Columns = [.. Columns.Where((_, i) => !columns.Contains(i))],
        Rows = [.. Rows.Select(r => r with { Cells = [.. r.Cells.Where((_, i) => !columns.Contains(i))] })],
    };

    private static string Cell(TableRow row, int i) => i < row.Cells.Count ? row.Cells[i] : "";
}

/// <summary>The tone a state word is shown in on a colour terminal; the word itself is always there.</summary>
public enum Tone
{
    Plain,
    Good,
    Bad,
    Waiting,
    Running,
}

public static class Tones
{
    public static Tone Of(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var first = word.Split(' ', 2)[0];
        return first switch
        {
            "succeeded" or "done" or "approved" or "lgtm" or "ended" => Tone.Good,
            "failed" or "killed" or "lost" or "crashed" or "missing" or "denied" or "timed" => Tone.Bad,
            "paused" or "pausing" or "escalated" or "limited" or "waiting" or "skipped" or "active" or "not" => Tone.Waiting,
            "running" or "starting" or "started" or "continuing" => Tone.Running,
            _ => Tone.Plain,
        };
    }
}

/// <summary>Model names as a person reads them in a table: no vendor prefix, no release date, versions with a dot.</summary>
public static partial class ModelNames
{
    /// <summary><c>claude-sonnet-4-5-20250929</c> → <c>sonnet-4.5</c>; <c>gpt-5-codex</c> stays.</summary>
    public static string Shorten(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = model.StartsWith("claude-", StringComparison.Ordinal) ? model["claude-".Length..] : model;
        name = DateSuffix().Replace(name, "");
        name = Version().Replace(name, "$1.$2");
        return name.Length == 0 ? model : name;
    }

    [GeneratedRegex(@"-(?:\d{8}|\d{4}-\d{2}-\d{2})$")]
    private static partial Regex DateSuffix();

    [GeneratedRegex(@"(?<=^|-)(\d+)-(\d)(?=-|$)")]
    private static partial Regex Version();
}
