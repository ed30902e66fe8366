using System.Globalization;
using Fleet.Providers;

namespace Fleet.Gates.Inbox;

/// <summary>How a gate reads to a person: one line, with the commands that answer it.</summary>
public static class GateText
{
    /// <summary><c>needs you: builder wants Bash: npm test (waiting 2m 10s) — fleet approve ROOT ID | fleet deny ROOT ID</c>.</summary>
    public static string NeedsYou(InboxGate gate, string root, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var r = gate.Request;
        var quotedRoot = ShellQuote.Quote(root);
        var waiting = Duration(gate.Waited(now));
        return gate.IsQuestion
            ? $"needs you: {r.Worker} asks: {OneLine(r.Summary)} (waiting {waiting}) — fleet answer {quotedRoot} {r.Id} ANSWER… | fleet deny {quotedRoot} {r.Id}"
            : $"needs you: {r.Worker} wants {r.Tool}: {OneLine(r.Summary)} (waiting {waiting}{Why(r.Reason)}) — fleet approve {quotedRoot} {r.Id} | fleet deny {quotedRoot} {r.Id}";
    }

    // Why no rule could let it through (an opaque or destructive command): what the person is asked to judge.
    private static string Why(string? reason)
    {
        if (reason is null || !(reason.StartsWith("opaque", StringComparison.Ordinal) || reason.StartsWith("destructive", StringComparison.Ordinal)))
        {
            return string.Empty;
        }

        var cut = reason.IndexOf(": a person decides", StringComparison.Ordinal);
        return "; " + OneLine(cut < 0 ? reason : reason[..cut], 100);
    }

    /// <summary><c>45s</c>, <c>2m 10s</c>, <c>1h 5m</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        var s = (long)Math.Max(0, span.TotalSeconds);
        return s switch
        {
            < 60 => string.Create(CultureInfo.InvariantCulture, $"{s}s"),
            < 3600 => string.Create(CultureInfo.InvariantCulture, $"{s / 60}m {s % 60}s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{s / 3600}h {s % 3600 / 60}m"),
        };
    }

    /// <summary>The first line, cut to <paramref name="max"/> characters.</summary>
    public static string OneLine(string text, int max = 160)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Trim().Split('\n');
        var first = lines[0].TrimEnd('\r');
        var cut = first.Length > max ? string.Concat(first.AsSpan(0, max), "…") : first;
        return lines.Length > 1 && !cut.EndsWith('…') ? cut + " …" : cut;
    }
}
