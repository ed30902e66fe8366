namespace Fleet.Cli.Hosting;

/// <summary>
/// What the output can show, decided once per invocation: a person's terminal gets tables fitted to its width and,
/// where it supports it, colour; anything else (a pipe, a file, a log) gets plain, stable columns.
/// </summary>
/// <param name="IsTty">stdout is a terminal.</param>
/// <param name="Width">Its width in columns (0 when not a terminal: nothing is fitted).</param>
/// <param name="Color">Colour and styles may be written.</param>
public sealed record Terminal(bool IsTty, int Width, bool Color)
{
    public static Terminal NotATty { get; } = new(false, 0, false);

    /// <summary>Normal cursor keys and keypad: the mode a shell expects when a program exits.</summary>
    public const string KeypadNormal = "\u001b[?1l\u001b>";

    /// <summary>The width a terminal is taken to have when it does not say.</summary>
    public const int DefaultWidth = 80;

    /// <summary>
    /// The decision, pure: <c>NO_COLOR</c> set to anything non-empty turns colour off (no-color.org), so does
    /// <c>TERM=dumb</c>; the width is the terminal's own, else <c>COLUMNS</c>, else 80.
    /// </summary>
    public static Terminal Decide(bool outputIsTerminal, int? terminalWidth, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!outputIsTerminal)
            return NotATty;
        var width = terminalWidth is { } w && w > 0 ? w
            : int.TryParse(environment("COLUMNS"), out var columns) && columns > 0 ? columns
            : DefaultWidth;
        var color = string.IsNullOrEmpty(environment("NO_COLOR")) && environment("TERM") is not "dumb";
        return new Terminal(true, width, color);
    }
}
