using System.Text.RegularExpressions;

namespace Fleet.Gates.Policy;

/// <summary>
/// The operations fleet always puts before a person, whatever wildcard allow rule would match: data loss,
/// history rewrites, infrastructure teardown, deleting outside the worktree. Only an exact allow rule (the very
/// command, as <c>approve --always</c> writes it) lets one through. A fleet adds its own in <c>gates.destructive</c>.
/// Each check sees one program as <see cref="BashAnalysis"/> resolved it (through <c>env</c>, <c>sudo</c>,
/// <c>bash -c '…'</c>, <c>/bin/rm</c> …).
/// </summary>
public static partial class DestructiveOperations
{
    /// <summary>One shipped check: its name (shown as the reason) and what it looks for.</summary>
    public sealed record Check(string Name, Func<ResolvedCommand, bool> Matches);

    private static readonly HashSet<string> SqlClients = ["psql", "mysql", "mariadb", "sqlite3", "sqlcmd", "clickhouse-client", "clickhouse", "duckdb", "cockroach", "mongo", "mongosh", "cqlsh", "usql", "pgcli", "mycli", "litecli", "bq", "snowsql", "trino", "presto"];

    private static readonly HashSet<string> Deleters = ["rm", "unlink", "rimraf", "del", "del-cli", "srm"];

    /// <summary>The shipped list, in the order they are tried.</summary>
    public static IReadOnlyList<Check> Shipped { get; } =
    [
        new("--accept-data-loss", c => c.Texts.Contains("--accept-data-loss")),
        new("prisma --force-reset", c => c.Texts.Contains("prisma") && c.Texts.Contains("--force-reset")),
        new("prisma migrate reset", c => Sequence(c.Texts, "prisma", "migrate", "reset")),
        new("git push --force", c => Git(c, "push") && c.Texts.Skip(2).Any(w => w is "-f" or "--force" || w.StartsWith("--force-with-lease", StringComparison.Ordinal) || w.StartsWith("--force-if-includes", StringComparison.Ordinal) || (w.StartsWith('+') && w.Length > 1) || ShortFlag(w, 'f') || (w.Contains(":+", StringComparison.Ordinal) && !w.StartsWith('-')))),
        new("git push --delete", c => Git(c, "push") && c.Texts.Skip(2).Any(w => w is "-d" or "--delete" || (w.StartsWith(':') && w.Length > 1) || ShortFlag(w, 'd'))),
        new("git reset --hard", c => Git(c, "reset") && c.Texts.Any(w => w is "--hard" or "--merge" or "--keep")),
        new("git clean -f", c => Git(c, "clean") && c.Texts.Skip(2).Any(w => w == "--force" || ShortFlag(w, 'f'))),
        new("git branch -D", c => Git(c, "branch") && c.Texts.Skip(2).Any(w => w is "-D" || ShortFlag(w, 'D') || (w is "--delete" or "-d" && c.Texts.Any(f => f is "--force" or "-f")))),
        new("terraform destroy", c => Sequence(c.Texts, "terraform", "destroy") || (c.Texts.Contains("terraform") && c.Texts.Contains("apply") && c.Texts.Contains("-destroy"))
            || (c.Program is "tofu" or "terragrunt" or "pulumi" or "cdktf" && c.Texts.Any(w => w is "destroy" or "-destroy" or "run-all destroy"))),
        new("DROP TABLE / DATABASE / SCHEMA", c => c.Texts.Any(w => DropStatement().IsMatch(w)) || DropStatement().IsMatch(c.Text) || (c.Stdin is { } s && DropStatement().IsMatch(s))),
        new("TRUNCATE TABLE", c => TruncateStatement().IsMatch(c.Text) || (c.Stdin is { } s && TruncateStatement().IsMatch(s))
            || (SqlClients.Contains(c.Program) && (BareTruncate().IsMatch(c.Text) || (c.Stdin is { } t && BareTruncate().IsMatch(t))))),
        new("rm -rf outside the worktree", c => c.Program == "rimraf" && Targets(c).Any(t => Outside(t, c)) || (c.Program == "rm" && RecursiveForce(c) && Targets(c).Any(t => Outside(t, c)))),
        new("rm outside the worktree", c => Deleters.Contains(c.Program) && Targets(c).Where(t => !t.Dynamic).Any(t => Outside(t, c))),
        new("rm of paths decided at run time", c => Deleters.Contains(c.Program) && (c.RuntimeArguments || Targets(c).Any(t => t.Dynamic))),
        new("rm of .git (the repository's history)", c => (Deleters.Contains(c.Program) || c.Program is "mv" or "shred") && Targets(c).Any(t => IsGitDirectory(t.Text))),
        new("git checkout / restore discards changes", DiscardsChanges),
        new("git stash drop / clear", c => Git(c, "stash") && GitArguments(c).FirstOrDefault() is "drop" or "clear"),
        new("git filter-branch / filter-repo", c => Git(c, "filter-branch") || Git(c, "filter-repo") || c.Program is "git-filter-repo" or "bfg"),
        new("git update-ref -d", c => Git(c, "update-ref") && GitArguments(c).Any(w => w is "-d" or "--delete")),
        new("git reflog expire / delete", c => Git(c, "reflog") && GitArguments(c).FirstOrDefault() is "expire" or "delete"),
        new("git gc --prune / git prune", c => Git(c, "prune") || (Git(c, "gc") && GitArguments(c).Any(w => w is "--prune=now" or "--prune=all" || w.StartsWith("--prune=now", StringComparison.Ordinal)))),
        new("git push --mirror", c => Git(c, "push") && c.Texts.Contains("--mirror")),
        new("git worktree remove --force", c => Git(c, "worktree") && GitArguments(c).FirstOrDefault() is "remove" && GitArguments(c).Any(w => w is "-f" or "--force")),
        new("find -delete", c => c.Program == "find" && c.Texts.Contains("-delete")),
        new("shred", c => c.Program == "shred"),
        new("truncate outside the worktree", c => c.Program == "truncate" && Operands(c, ["-s", "--size", "-r", "--reference"]).Any(t => Outside(t, c))),
        new("dd of= a device or outside the worktree", c => c.Program == "dd" && c.Words.Any(w => w.Text.StartsWith("of=", StringComparison.Ordinal) && !IsHarmlessDevice(w.Text[3..]) && Outside(w with { Text = w.Text[3..] }, c))),
        new("mkfs / wipefs / partitioning", c => c.Program.StartsWith("mkfs", StringComparison.Ordinal) || c.Program is "wipefs" or "fdisk" or "sfdisk" or "gdisk" or "sgdisk" or "parted" or "blkdiscard" or "mkswap" || (c.Program == "cryptsetup" && c.Texts.Any(w => w is "luksFormat" or "erase" or "luksErase"))),
        new("overwrites a file outside the worktree", c => c.Redirections.Any(r => r.Clobbers && !IsHarmlessDevice(r.Target.Text) && !IsTemporary(r.Target.Text) && Outside(r.Target, c))
            || (c.Program == "tee" && !c.Texts.Any(w => w is "-a" or "--append") && Operands(c, []).Any(t => !IsHarmlessDevice(t.Text) && !IsTemporary(t.Text) && Outside(t, c)))
            || (c.Program is "cp" or "install" && CopyDestination(c) is { } destination && !IsHarmlessDevice(destination.Text) && !IsTemporary(destination.Text) && Outside(destination, c))
            || (c.Program is "sed" or "gsed" or "perl" && c.Texts.Any(w => w.StartsWith("-i", StringComparison.Ordinal) || w.StartsWith("--in-place", StringComparison.Ordinal) || (w.StartsWith("-p", StringComparison.Ordinal) && w.Contains('i', StringComparison.Ordinal)))
                && Operands(c, ["-e", "--expression", "-f", "--file"]).Skip(c.Texts.Any(w => w is "-e" or "--expression" or "-f" or "--file") ? 0 : 1).Any(t => !IsTemporary(t.Text) && Outside(t, c)))),
        new("mv outside the worktree or to /dev/null", c => c.Program == "mv" && Operands(c, ["-t", "--target-directory", "-S", "--suffix"]).Any(t => t.Text == "/dev/null" || (!IsTemporary(t.Text) && Outside(t, c)))),
        new("chmod / chown -R outside the worktree", c => c.Program is "chmod" or "chown" or "chgrp" && c.Texts.Any(w => w is "-R" or "--recursive" || ShortFlag(w, 'R')) && Operands(c, ["--reference", "--from"]).Skip(1).Any(t => Outside(t, c))),
        new("rsync --delete", c => c.Program == "rsync" && c.Texts.Any(w => w.StartsWith("--delete", StringComparison.Ordinal) || w == "--remove-source-files")),
        new("DELETE FROM without WHERE", c => DeletesEverything(c.Text) || (c.Stdin is { } s && DeletesEverything(s))),
        new("drop a database (dropdb, db:drop, flush)", c => c.Program is "dropdb" or "dropuser" || c.Texts.Any(w => w is "db:drop" or "db:reset" or "db:drop:all" or "flush" && c.Texts.Any(m => m.EndsWith("manage.py", StringComparison.Ordinal) || m is "rails" or "rake" or "django-admin")) || DropDatabase().IsMatch(c.Text) || (c.Stdin is { } s && DropDatabase().IsMatch(s))),
        new("redis FLUSHALL / FLUSHDB", c => (c.Program is "redis-cli" or "valkey-cli" or "keydb-cli" || c.Stdin is not null) && (c.Texts.Any(w => w.Equals("flushall", StringComparison.OrdinalIgnoreCase) || w.Equals("flushdb", StringComparison.OrdinalIgnoreCase)) || (c.Stdin is { } s && RedisFlush().IsMatch(s)))),
        new("kubectl delete", c => c.Program is "kubectl" or "oc" && c.Texts.Skip(1).Any(w => w is "delete" or "drain")),
        new("helm uninstall", c => c.Program == "helm" && c.Texts.Skip(1).Any(w => w is "uninstall" or "delete" or "del" or "un")),
        new("docker rm / rmi / prune / volume rm", c => c.Program is "docker" or "podman" or "nerdctl" or "docker-compose" && (c.Texts.Skip(1).Any(w => w is "rm" or "rmi" or "prune")
            || (c.Texts.Contains("down") && c.Texts.Any(w => w is "-v" or "--volumes" or "--rmi")))),
        new("cloud storage or resources deleted (aws, gsutil, gcloud, az)", c => (c.Program == "aws" && (c.Texts.Any(w => w.StartsWith("delete-", StringComparison.Ordinal) || w.StartsWith("terminate-", StringComparison.Ordinal) || w is "rm" or "rb") || (c.Texts.Contains("sync") && c.Texts.Contains("--delete"))))
            || (c.Program is "gsutil" or "gcloud" or "az" or "doctl" or "flyctl" or "fly" or "heroku" && c.Texts.Skip(1).Any(w => w is "rm" or "rb" or "delete" or "destroy" or "apps:destroy"))),
        new("gh repo delete", c => c.Program == "gh" && (c.Texts.Skip(1).Any(w => w == "delete") || (c.Texts.Contains("api") && c.Texts.Any(w => w.Equals("DELETE", StringComparison.Ordinal) || w.Equals("--method=DELETE", StringComparison.Ordinal) || w.Equals("-XDELETE", StringComparison.Ordinal))))),
        new("npm unpublish", c => c.Program is "npm" or "yarn" or "pnpm" && c.Texts.Contains("unpublish")),
        new("crontab -r", c => c.Program == "crontab" && c.Texts.Any(w => w is "-r" or "-ir")),
    ];

    /// <summary>The first shipped check that matches any program of a Bash command, or null.</summary>
    public static string? Match(ShellCommand command, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(command);
        return BashAnalysis.Of(command, workingDirectory).Destructive;
    }

    /// <summary>The first shipped check that matches any of the programs, or null.</summary>
    public static string? Match(IEnumerable<ResolvedCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        foreach (var command in commands)
        {
            foreach (var check in Shipped)
            {
                if (check.Matches(command))
                {
                    return check.Name;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a program has a destructive form that an argument decided at run time could select (so its
    /// run-time arguments make the command opaque): <c>git push $FLAGS</c>, <c>kubectl $VERB</c>.
    /// </summary>
    public static bool HasDestructiveForm(ResolvedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Program switch
        {
            "git" => GitSubcommand(command) is null or "push" or "reset" or "clean" or "branch" or "checkout" or "restore" or "switch" or "stash" or "filter-branch" or "filter-repo" or "update-ref" or "reflog" or "gc" or "prune" or "worktree" or "config" or "rm" or "tag",
            "chmod" or "chown" or "chgrp" => command.Texts.Any(w => w is "-R" or "--recursive" || ShortFlag(w, 'R')),
            "docker" or "podman" or "nerdctl" or "docker-compose" => command.Texts.Skip(1).Any(w => w is "rm" or "rmi" or "prune" or "volume" or "system" or "down" or "image" or "container" or "network")
                || command.Words.Skip(1).FirstOrDefault(w => !w.Text.StartsWith('-'))?.Dynamic == true,
            "kubectl" or "oc" or "helm" or "terraform" or "tofu" or "terragrunt" or "pulumi" or "aws" or "gsutil" or "gcloud" or "az" or "gh" or "redis-cli" or "valkey-cli" or "dd" or "truncate" or "mv" or "rsync" or "prisma" or "dropdb" or "crontab" or "tee" or "cryptsetup" => true,
            _ => SqlClients.Contains(command.Program),
        };
    }

    /// <summary>Programs whose checks judge run-time arguments themselves (a deleter with unknown targets is destructive).</summary>
    public static bool JudgesRuntimeArguments(string program) => Deleters.Contains(program);

    private static bool ShortFlag(string word, char flag) =>
        word.Length > 1 && word[0] == '-' && word[1] != '-' && word.Skip(1).All(char.IsAsciiLetter) && word.Contains(flag, StringComparison.Ordinal);

    private static bool Git(ResolvedCommand command, string subcommand) => command.Program == "git" && GitSubcommand(command) == subcommand;

    // git [-C dir] [-c k=v] <subcommand>: skip the global options.
    private static string? GitSubcommand(ResolvedCommand command)
    {
        var words = command.Texts;
        for (var i = 1; i < words.Count; i++)
        {
            if (words[i] is "-C" or "-c" or "--git-dir" or "--work-tree" or "--namespace")
            {
                i++;
                continue;
            }

            if (words[i].StartsWith('-'))
            {
                continue;
            }

            return words[i];
        }

        return null;
    }

    private static List<string> GitArguments(ResolvedCommand command)
    {
        var sub = GitSubcommand(command);
        var words = command.Texts;
        var at = -1;
        for (var i = 1; i < words.Count; i++)
        {
            if (words[i] is "-C" or "-c" or "--git-dir" or "--work-tree" or "--namespace")
            {
                i++;
                continue;
            }

            if (words[i] == sub)
            {
                at = i;
                break;
            }
        }

        return at < 0 ? [] : words.Skip(at + 1).ToList();
    }

    private static bool DiscardsChanges(ResolvedCommand command)
    {
        if (Git(command, "checkout"))
        {
            var args = GitArguments(command);
            return args.Any(w => w is "--" or "." or ":/" or "-f" or "--force" or "--ours" or "--theirs" || (ShortFlag(w, 'f') && !args.Contains("-b")) || w.StartsWith("--pathspec-from-file", StringComparison.Ordinal));
        }

        if (Git(command, "restore"))
        {
            var args = GitArguments(command);
            var staged = args.Any(w => w is "--staged" or "-S" || ShortFlag(w, 'S'));
            var worktree = args.Any(w => w is "--worktree" or "-W" || ShortFlag(w, 'W'));
            return !staged || worktree;
        }

        return Git(command, "switch") && GitArguments(command).Any(w => w is "-f" or "--force" or "--discard-changes");
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

    private static bool RecursiveForce(ResolvedCommand command)
    {
        var flags = Flags(command);
        var recursive = flags.Any(f => f is "--recursive" || (!f.StartsWith("--", StringComparison.Ordinal) && (f.Contains('r', StringComparison.Ordinal) || f.Contains('R', StringComparison.Ordinal))));
        var force = flags.Any(f => f is "--force" || (!f.StartsWith("--", StringComparison.Ordinal) && f.Contains('f', StringComparison.Ordinal)));
        return recursive && force;
    }

    private static List<string> Flags(ResolvedCommand command) =>
        command.Texts.Skip(1).TakeWhile(w => w != "--").Where(w => w.Length > 1 && w.StartsWith('-')).ToList();

    /// <summary>A deleter's targets: every word after the program that is not an option.</summary>
    private static List<ShellWord> Targets(ResolvedCommand command) => Operands(command, []);

    private static List<ShellWord> Operands(ResolvedCommand command, IReadOnlyCollection<string> optionsWithValue)
    {
        var operands = new List<ShellWord>();
        var ended = false;
        for (var i = 1; i < command.Words.Count; i++)
        {
            var word = command.Words[i];
            if (!ended && word.Text == "--")
            {
                ended = true;
                continue;
            }

            if (!ended && word.Text.Length > 1 && word.Text.StartsWith('-'))
            {
                if (optionsWithValue.Contains(word.Text))
                {
                    i++;
                }

                continue;
            }

            operands.Add(word);
        }

        return operands;
    }

    /// <summary>
    /// Whether a path may lie outside the worktree, or be the worktree itself: judged from every folder the
    /// command may run in; a path decided at run time, under <c>~</c>, a pattern that can reach <c>..</c>, or a
    /// relative path in an unknown folder is taken to be outside.
    /// </summary>
    private static bool Outside(ShellWord target, ResolvedCommand command)
    {
        var text = target.Text;
        if (target.Dynamic || text.StartsWith('~') || text.Length == 0)
        {
            return true;
        }

        if (target.Pattern && (text.Contains('{', StringComparison.Ordinal) || DotPattern().IsMatch(text)))
        {
            return true;
        }

        if (command.Directories is null && !text.StartsWith('/'))
        {
            return true;
        }

        var root = command.Root;
        foreach (var directory in command.Directories ?? [root])
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(text, directory));
            // The worktree itself, anything above it, and anything beside it.
            if (full == root || !full.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // cp/install SOURCE… DEST, or -t DEST.
    private static ShellWord? CopyDestination(ResolvedCommand command)
    {
        var target = command.Words.SkipWhile(w => w.Text is not ("-t" or "--target-directory")).Skip(1).FirstOrDefault();
        if (target is not null)
        {
            return target;
        }

        var operands = Operands(command, ["-S", "--suffix", "-m", "--mode", "-o", "--owner", "-g", "--group"]);
        return operands.Count >= 2 ? operands[^1] : null;
    }

    private static bool IsGitDirectory(string path) =>
        path.Replace('\\', '/').Split('/').Any(segment => segment == ".git");

    private static bool IsHarmlessDevice(string path) =>
        path is "/dev/null" or "/dev/stdout" or "/dev/stderr" or "/dev/tty" or "/dev/zero" || path.StartsWith("/dev/fd/", StringComparison.Ordinal);

    // Scratch space by convention: writing there loses nothing a person keeps.
    private static bool IsTemporary(string path) =>
        path.StartsWith("/tmp/", StringComparison.Ordinal) || path.StartsWith("/var/tmp/", StringComparison.Ordinal);

    private static bool DeletesEverything(string text)
    {
        foreach (Match match in DeleteFrom().Matches(text))
        {
            var end = text.IndexOf(';', match.Index);
            var statement = end < 0 ? text[match.Index..] : text[match.Index..end];
            if (!Where().IsMatch(statement))
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

    [GeneratedRegex(@"\bTRUNCATE\s+[A-Za-z_""`\[]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BareTruncate();

    [GeneratedRegex(@"\bDELETE\s+FROM\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DeleteFrom();

    [GeneratedRegex(@"\bWHERE\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Where();

    [GeneratedRegex(@"\bdropDatabase\s*\(|\bDROP\s+(?:OWNED|USER|ROLE)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DropDatabase();

    [GeneratedRegex(@"\bFLUSH(?:ALL|DB)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RedisFlush();

    // A pattern segment that starts with a dot (.*, .[!.]*): older shells expand it to "..".
    [GeneratedRegex(@"(?:^|/)\.[*?\[]", RegexOptions.CultureInvariant)]
    private static partial Regex DotPattern();
}
