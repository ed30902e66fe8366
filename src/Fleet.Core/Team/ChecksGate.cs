using System.Text;
using Fleet.Forge;

namespace Fleet.Team;

/// <summary>
/// What a pull request's checks at one head say: <see cref="Green"/> (every check passed or was skipped, or there are none),
/// <see cref="Pending"/> (one has not finished) or <see cref="Red"/> (one failed or was cancelled), and which.
/// </summary>
public sealed record ChecksVerdict(string Status, IReadOnlyList<ForgeCheckRun> Failing, IReadOnlyList<ForgeCheckRun> Unfinished)
{
    public const string Green = "green";
    public const string Pending = "pending";
    public const string Red = "red";

    public bool IsGreen => Status == Green;

    /// <summary>"tests failed; lint failed" or "build has not finished", for refusals; empty when green.</summary>
    public string Summary => Status switch
    {
        Red => string.Join("; ", Failing.Select(c => $"{c.Name} {(c.Bucket == ForgeCheckRun.Cancel ? "was cancelled" : "failed")}")),
        Pending => string.Join("; ", Unfinished.Select(c => $"{c.Name} has not finished")),
        _ => string.Empty,
    };
}

/// <summary>The pure decisions about checks: whether a head is green, and what the next briefs are told about a red one.</summary>
public static class ChecksGate
{
    /// <summary>Lines of a failing check's log the briefs quote: enough for the error and its context, not a whole build.</summary>
    public const int LogTailLines = 40;

    public static ChecksVerdict Judge(IReadOnlyList<ForgeCheckRun> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var failing = checks.Where(c => c.Bucket is ForgeCheckRun.Fail or ForgeCheckRun.Cancel).ToList();
        var unfinished = checks.Where(c => c.Bucket is not (ForgeCheckRun.Fail or ForgeCheckRun.Cancel or ForgeCheckRun.Pass or ForgeCheckRun.Skipping)).ToList();
        var status = failing.Count > 0 ? ChecksVerdict.Red : unfinished.Count > 0 ? ChecksVerdict.Pending : ChecksVerdict.Green;
        return new ChecksVerdict(status, failing, unfinished);
    }

    /// <summary>The last <paramref name="lines"/> non-empty-trailing lines of a log.</summary>
    public static string Tail(string log, int lines = LogTailLines)
    {
        ArgumentNullException.ThrowIfNull(log);
        var all = log.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>
    /// The section a red (or unfinished) head adds to the developer's and the reviewer's briefs: each failing check's name,
    /// its link, and its log's tail. Null when the head is green: the briefs then say nothing about checks.
    /// </summary>
    public static string? BriefSection(ChecksVerdict verdict, int iteration, string head)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict.IsGreen)
        {
            return null;
        }

        var text = new StringBuilder();
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"## The pull request's checks are not green (iteration {iteration}, head {head[..Math.Min(12, head.Length)]})");
        text.AppendLine();
        text.AppendLine("A red head cannot be approved: fleet records any lgtm for it as iterate, and team merge refuses it. Fix what the checks say.");
        foreach (var check in verdict.Failing.Concat(verdict.Unfinished))
        {
            text.AppendLine();
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"### {check.Name}: {check.Bucket}{(check.Link is null ? "" : $" ({check.Link})")}");
            if (!string.IsNullOrWhiteSpace(check.Log))
            {
                text.AppendLine();
                text.AppendLine("```");
                text.AppendLine(Tail(check.Log));
                text.AppendLine("```");
            }
        }

        return text.ToString();
    }
}
