using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Team;

/// <summary>
/// The reviewer's verdict as a trailer line in the pull request's body:
/// <c>Fleet-Verdict: lgtm; reviewer=codex/gpt-5-codex; iteration=2; head=3f2a…</c>. A body survives a squash merge
/// where reviews may not; <c>head</c> is the commit the reviewer saw, so an approval never covers later commits.
/// </summary>
public sealed partial record VerdictTrailer(string Verdict, string Reviewer, int Iteration, string? Head)
{
    public const string Key = "Fleet-Verdict";

    public string Line =>
        string.Create(CultureInfo.InvariantCulture, $"{Key}: {Verdict}; reviewer={Reviewer}; iteration={Iteration}") + (Head is null ? "" : $"; head={Head}");

    /// <summary>The last <c>Fleet-Verdict:</c> line of a body (the newest verdict), or null when it has none.</summary>
    public static VerdictTrailer? Parse(string? body)
    {
        VerdictTrailer? last = null;
        foreach (var line in (body ?? "").Split('\n'))
        {
            var match = LinePattern().Match(line.TrimEnd('\r'));
            if (!match.Success)
            {
                continue;
            }

            var fields = match.Groups["fields"].Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(f => f.Split('=', 2))
                .Where(kv => kv.Length == 2)
                .GroupBy(kv => kv[0].Trim(), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last()[1].Trim(), StringComparer.Ordinal);
            last = new VerdictTrailer(
                match.Groups["verdict"].Value.ToLowerInvariant(),
                fields.GetValueOrDefault("reviewer") ?? "unknown",
                int.TryParse(fields.GetValueOrDefault("iteration"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0,
                fields.GetValueOrDefault("head"));
        }

        return last;
    }

    /// <summary>The body with every earlier <c>Fleet-Verdict:</c> line replaced by this one, at the end (trailer position).</summary>
    public string ApplyTo(string? body)
    {
        var kept = (body ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Where(l => !LinePattern().IsMatch(l))
            .ToList();
        while (kept.Count > 0 && kept[^1].Trim().Length == 0)
        {
            kept.RemoveAt(kept.Count - 1);
        }

        var text = new StringBuilder(string.Join('\n', kept));
        text.Append(kept.Count > 0 ? "\n\n" : "").Append(Line).Append('\n');
        return text.ToString();
    }

    [GeneratedRegex(@"^\s*Fleet-Verdict:\s*(?<verdict>lgtm|iterate|escalate|no verdict)\s*(;(?<fields>.*))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();
}
