using System.Text;
using System.Text.RegularExpressions;
using Fleet.State;

namespace Fleet.Reviews;

/// <summary>Reads verdicts and per-worker review sections. Only an exact <c>verdict: X</c> line counts.</summary>
public static partial class ReviewVerdicts
{
    public const string Lgtm = VerdictRecord.Lgtm;
    public const string Iterate = VerdictRecord.Iterate;
    public const string Escalate = VerdictRecord.Escalate;

    private const int MaxReasonLength = 600;

    public static ReviewVerdict Read(string reviewFile)
    {
        if (!File.Exists(reviewFile))
        {
            return new ReviewVerdict(Iterate, null, "no verdict: review.md was not written");
        }

        return Parse(File.ReadAllText(reviewFile));
    }

    /// <summary>
    /// The verdict that counts when a worker blocked approval (<paramref name="block"/>: why; null: nothing blocks): an lgtm
    /// becomes iterate with the block as its reason; iterate and escalate stand.
    /// </summary>
    public static ReviewVerdict Capped(ReviewVerdict verdict, string? block)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        return verdict.Verdict == Lgtm && !string.IsNullOrWhiteSpace(block)
            ? new ReviewVerdict(Iterate, Shorten($"lgtm refused: {block.Trim()}"), $"{verdict.Source} (lgtm blocked)")
            : verdict;
    }

    /// <summary>The block a worker wrote for the iteration (<see cref="FleetLayout.LgtmBlockFile"/>), or null.</summary>
    public static string? ReadBlock(string blockFile) => File.Exists(blockFile) ? File.ReadAllText(blockFile) : null;

    public static ReviewVerdict Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var found = lines.Select((line, index) => (Match: VerdictLine().Match(line), Index: index)).Where(m => m.Match.Success).ToList();
        var values = found.Select(m => m.Match.Groups[1].Value.ToLowerInvariant()).Distinct().ToList();
        if (values.Count == 0)
        {
            return new ReviewVerdict(Iterate, Shorten(text), "no verdict: review.md has no line 'verdict: lgtm|iterate|escalate'");
        }

        if (values.Count > 1)
        {
            return new ReviewVerdict(Iterate, Shorten(text), $"no verdict: review.md is ambiguous ({string.Join(", ", values)})");
        }

        var at = found[0].Index;
        var after = string.Join('\n', lines.Skip(at + 1)).Trim();
        var before = string.Join('\n', lines.Take(at)).Trim();
        return new ReviewVerdict(values[0], Shorten(after.Length > 0 ? after : before), "review.md");
    }

    /// <summary>
    /// The part of review.md meant for one worker: the section under a heading that names it
    /// (<c>## builder-a</c>, <c>### Fixes for builder-a</c>), up to the next heading of the same or a higher level.
    /// Null when no heading names the worker.
    /// </summary>
    public static string? SectionFor(string review, string worker)
    {
        ArgumentNullException.ThrowIfNull(review);
        var lines = review.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var heading = Heading().Match(lines[i]);
            if (!heading.Success || !NamesWorker(heading.Groups[2].Value, worker))
            {
                continue;
            }

            var level = heading.Groups[1].Value.Length;
            var section = new StringBuilder();
            for (var j = i + 1; j < lines.Length; j++)
            {
                var next = Heading().Match(lines[j]);
                if (next.Success && next.Groups[1].Value.Length <= level)
                {
                    break;
                }

                section.AppendLine(lines[j]);
            }

            return section.ToString().Trim();
        }

        return null;
    }

    private static bool NamesWorker(string heading, string worker) =>
        Regex.IsMatch(heading, $@"(^|[^a-z0-9._-]){Regex.Escape(worker)}($|[^a-z0-9._-])", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));

    private static string? Shorten(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        return trimmed.Length <= MaxReasonLength ? trimmed : string.Concat(trimmed.AsSpan(0, MaxReasonLength - 1), "…");
    }

    [GeneratedRegex(@"^\s*verdict:\s*(lgtm|iterate|escalate)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex VerdictLine();

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex Heading();
}
