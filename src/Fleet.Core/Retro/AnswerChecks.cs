using System.Text.RegularExpressions;

namespace Fleet.Retro;

/// <summary>A shell check that tells whether a person's answer to a set-up question still holds.</summary>
public sealed record AnswerCheck(string Text, IReadOnlyList<string> Check);

/// <summary>
/// Which answered questions fleet can check automatically: the retrospective names them, and <c>fleet doctrine apply</c>
/// turns them into step-0 preconditions.
/// </summary>
public static partial class AnswerChecks
{
    /// <summary>An automatic check for a set-up answer (the branch; the file the test command needs), or null when there is none.</summary>
    public static AnswerCheck? For(string question, string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        answer = answer.Trim();
        if (BranchQuestion().IsMatch(question) && SafeName().IsMatch(answer))
        {
            return new AnswerCheck($"the checked-out branch is {answer}",
                ["sh", "-c", $"b=$(git rev-parse --abbrev-ref HEAD 2>&1); [ \"$b\" = '{answer}' ] || {{ echo \"the branch is $b, not {answer}\"; exit 1; }}"]);
        }

        if (TestQuestion().IsMatch(question) && answer.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } tool
            && ToolFiles.TryGetValue(tool, out var file))
        {
            return new AnswerCheck($"{file} exists (the tests run with: {answer})",
                ["sh", "-c", $"test -f '{file}' || {{ echo \"no {file} in $(pwd)\"; exit 1; }}"]);
        }

        return null;
    }

    private static readonly Dictionary<string, string> ToolFiles = new(StringComparer.Ordinal)
    {
        ["npm"] = "package.json", ["yarn"] = "package.json", ["pnpm"] = "package.json", ["npx"] = "package.json",
        ["cargo"] = "Cargo.toml", ["make"] = "Makefile", ["go"] = "go.mod", ["mvn"] = "pom.xml", ["bundle"] = "Gemfile",
    };

    [GeneratedRegex(@"\bbranch(es)?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BranchQuestion();

    [GeneratedRegex(@"\b(test command|run the tests|(which|what) command|package manager)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TestQuestion();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/-]{0,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
