using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.Forge;

namespace Fleet.Team;

/// <summary>
/// Pre-flight: is anyone already on this issue? An open pull request that closes it, whose branch names it, or whose
/// body mentions it; or a branch that names it. Such an issue is never started again.
/// </summary>
public static partial class TakenDetector
{
    public static TakenBy? Find(int issue, IReadOnlyList<ForgePullRequest> openPullRequests, IReadOnlyList<string> branches)
    {
        ArgumentNullException.ThrowIfNull(openPullRequests);
        ArgumentNullException.ThrowIfNull(branches);
        foreach (var pr in openPullRequests.OrderBy(p => p.Number))
        {
            var number = pr.Number.ToString(CultureInfo.InvariantCulture);
            if (pr.ClosingIssues.Contains(issue))
            {
                return new TakenBy($"open pull request #{number} closes it", pr.Url);
            }

            if (BranchNames(pr.HeadBranch, issue))
            {
                return new TakenBy($"open pull request #{number} is on branch {pr.HeadBranch}", pr.Url);
            }

            if (Mentions(pr.Body, issue) || Mentions(pr.Title, issue))
            {
                return new TakenBy($"open pull request #{number} mentions it", pr.Url);
            }
        }

        foreach (var branch in branches.Order(StringComparer.Ordinal))
        {
            if (BranchNames(branch, issue))
            {
                return new TakenBy($"branch {branch} exists", null);
            }
        }

        return null;
    }

    /// <summary>
    /// Branch names that say which issue they are for: <c>fleet/issue-12</c>, <c>issue-12</c>, <c>issue/12</c>,
    /// <c>feature/12-login</c> and GitHub's own <c>12-login</c>; a remote's prefix (<c>origin/</c>) is ignored.
    /// </summary>
    public static bool BranchNames(string branch, int issue)
    {
        ArgumentNullException.ThrowIfNull(branch);
        var n = issue.ToString(CultureInfo.InvariantCulture);
        var parts = branch.Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            var m = BranchPartPattern().Match(parts[i]);
            if (m.Success && m.Groups["n"].Value == n)
            {
                return true;
            }

            // issue/12: the number is a part of its own, right after the word.
            if (i > 0 && parts[i] == n && parts[i - 1].ToLowerInvariant() is "issue" or "issues")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A <c>#12</c> reference that is not part of a longer number (<c>#123</c>) or a word (<c>a#12</c>).</summary>
    public static bool Mentions(string? text, int issue)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var n = issue.ToString(CultureInfo.InvariantCulture);
        foreach (Match m in MentionPattern().Matches(text))
        {
            if (m.Groups["n"].Value == n)
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^(?:(?:issue|issues|gh)[-_]?(?<n>\d+)(?:[-_].*)?|(?<n>\d+)[-_].+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BranchPartPattern();

    [GeneratedRegex(@"(?<![\w#])#(?<n>\d+)(?!\d)", RegexOptions.CultureInvariant)]
    private static partial Regex MentionPattern();
}
