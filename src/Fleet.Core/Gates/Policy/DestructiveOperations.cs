using System.Text.RegularExpressions;

namespace Fleet.Gates.Policy;

/// <summary>
/// The operations fleet always puts before a person, whatever wildcard allow rule would match: data loss,
/// history rewrites, infrastructure teardown, deleting outside the worktree. Only an exact allow rule (the very
/// command, as <c>approve --always</c> writes it) lets one through. A fleet adds its own in <c>gates.destructive</c>.
/// </summary>
public static partial class DestructiveOperations
{
    /// <summary>One shipped check: its name (shown as the reason) and what it looks for.</summary>
    public sealed record Check(string Name, Func<IReadOnlyList<string>, string, bool> Matches);

    /// <summary>The shipped list; each check sees one simple command's words and the working directory.</summary>
    public static IReadOnlyList<Check> Shipped { get; } =
    [
        new("--accept-data-loss", (words, _) => words.Contains("--accept-data-loss")),
        new("prisma --force-reset", (words, _) => words.Contains("prisma") && words.Contains("--force-reset")),
        new("prisma migrate reset", (words, _) => Sequence(words, "prisma", "migrate", "reset")),
        new("git push --force", (words, _) => Git(words, "push") && words.Skip(2).Any(w => w is "-f" or "--force" || w.StartsWith("--force-with-lease", StringComparison.Ordinal) || w.StartsWith("--force-if-includes", StringComparison.Ordinal) || (w.StartsWith('+') && w.Length > 1) || (w.StartsWith('-') && !w.StartsWith("--", StringComparison.Ordinal) && w.Contains('f', StringComparison.Ordinal)))),
        new("git push --delete", (words, _) => Git(words, "push") && words.Skip(2).Any(w => w is "-d" or "--delete" || (w.StartsWith(':') && w.Length > 1))),
        new("git reset --hard", (words, _) => Git(words, "reset") && words.Contains("--hard")),
        new("git clean -f", (words, _) => Git(words, "clean") && words.Skip(2).Any(w => w == "--force" || (w.StartsWith('-') && !w.StartsWith("--", StringComparison.Ordinal) && w.Contains('f', StringComparison.Ordinal)))),
        new("git branch -D", (words, _) => Git(words, "branch") && words.Skip(2).Any(w => w is "-D" || (w == "--delete" && words.Contains("--force")))),
        new("terraform destroy", (words, _) => Sequence(words, "terraform", "destroy") || (words.Contains("terraform") && words.Contains("apply") && words.Contains("-destroy"))),
        new("DROP TABLE / DATABASE / SCHEMA", (words, _) => words.Any(w => DropStatement().IsMatch(w)) || DropStatement().IsMatch(string.Join(' ', words))),
        new("TRUNCATE TABLE", (words, _) => TruncateStatement().IsMatch(string.Join(' ', words))),
        new("rm -rf outside the worktree", RemovesOutside),
    ];

    /// <summary>The first shipped check that matches any simple command of a Bash command, or null.</summary>
    public static string? Match(ShellCommand command, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var words in command.Parts)
        {
            foreach (var check in Shipped)
            {
                if (check.Matches(words, workingDirectory))
                {
                    return check.Name;
                }
            }
        }

        return null;
    }

    private static bool Git(IReadOnlyList<string> words, string subcommand)
    {
        // git [-C dir] [-c k=v] <subcommand>: skip the global options.
        if (words.Count < 2 || words[0] != "git")
        {
            return false;
        }

        for (var i = 1; i < words.Count; i++)
        {
            if (words[i] is "-C" or "-c")
            {
                i++;
                continue;
            }

            if (words[i].StartsWith('-'))
            {
                continue;
            }

            return words[i] == subcommand;
        }

        return false;
    }

    private static bool Sequence(IReadOnlyList<string> words, params string[] sequence)
    {
        for (var i = 0; i + sequence.Length <= words.Count; i++)
        {
            if (sequence.Select((s, j) => words[i + j] == s).All(x => x))
            {
                return true;
            }
        }

        return false;
    }

    private static bool RemovesOutside(IReadOnlyList<string> words, string workingDirectory)
    {
        if (words.Count < 2 || words[0] != "rm")
        {
            return false;
        }

        var flags = words.Skip(1).TakeWhile(w => w.StartsWith('-') && w != "--").ToList();
        var recursive = flags.Any(f => f is "--recursive" || (!f.StartsWith("--", StringComparison.Ordinal) && (f.Contains('r', StringComparison.Ordinal) || f.Contains('R', StringComparison.Ordinal))));
        var force = flags.Any(f => f is "--force" || (!f.StartsWith("--", StringComparison.Ordinal) && f.Contains('f', StringComparison.Ordinal)));
        if (!recursive || !force)
        {
            return false;
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workingDirectory));
        foreach (var target in words.Skip(1 + flags.Count).Where(w => w != "--"))
        {
            if (target.StartsWith('~') || target.StartsWith('$') || target.Contains('*', StringComparison.Ordinal) && target.StartsWith('/'))
            {
                return true;
            }

            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target, root));
            // The worktree itself, anything above it, and anything beside it.
            if (full == root || !full.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"\bDROP\s+(?:TABLE|DATABASE|SCHEMA)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DropStatement();

    [GeneratedRegex(@"\bTRUNCATE\s+TABLE\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TruncateStatement();
}
