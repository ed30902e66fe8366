using System.Text.RegularExpressions;

namespace Fleet.Gates.Policy;

/// <summary>One program a Bash command would run, seen through the launchers and shells that wrap it.</summary>
/// <param name="Words">The program (its file name, without a folder) and its arguments.</param>
/// <param name="Redirections">The redirections of the simple command it came from (on the outermost program only).</param>
/// <param name="Stdin">A here-document or here-string it reads, when it has one.</param>
/// <param name="Directories">The folders it may run in (the worktree, and every <c>cd</c> before it); null when unknown.</param>
/// <param name="Root">The worktree: what "outside" is judged from.</param>
/// <param name="RuntimeArguments">More arguments come at run time (<c>xargs</c>, <c>find -exec</c>, <c>parallel</c>).</param>
public sealed record ResolvedCommand(
    IReadOnlyList<ShellWord> Words,
    IReadOnlyList<ShellRedirection> Redirections,
    string? Stdin,
    IReadOnlyList<string>? Directories,
    string Root,
    bool RuntimeArguments)
{
    public string Program => Words.Count > 0 ? Words[0].Text : string.Empty;

    public IReadOnlyList<string> Texts { get; } = [.. Words.Select(w => w.Text)];

    public string Text => string.Join(' ', Texts);
}

/// <summary>
/// What a Bash command would run: every program, seen through launchers (<c>env</c>, <c>sudo</c>, <c>timeout</c>,
/// <c>xargs</c>, <c>find -exec</c>, …), paths (<c>/bin/rm</c>) and literal code handed to a shell (<c>bash -c '…'</c>,
/// <c>eval</c>, a here-document piped into <c>sh</c>), plus why it is <see cref="Opaque"/> when some of it cannot be
/// seen: code for an interpreter, a program named at run time, a quoted or patterned program name, a function or alias.
/// A pure function of the command text and the working directory.
/// </summary>
public sealed partial class BashAnalysis
{
    private const int MaxDepth = 4;

    private static readonly HashSet<string> Shells = ["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "rbash", "yash"];

    private static readonly HashSet<string> Keywords = ["if", "then", "elif", "else", "fi", "while", "until", "do", "done", "!", "{", "}", "[[", "]]", "time", "coproc"];

    private static readonly HashSet<string> NoProgram = ["for", "select", "case", "esac", "in", "declare", "typeset", "local", "export", "readonly", "unset", "shift", "return", "exit", "true", "false", ":"];

    // Variables that change which program runs, or that run code themselves.
    private static readonly HashSet<string> RiskyVariables = ["PATH", "CDPATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_EXEC_PATH", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_DIR", "GIT_WORK_TREE", "EDITOR", "VISUAL", "PAGER", "NODE_OPTIONS", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT"];

    private BashAnalysis(IReadOnlyList<ResolvedCommand> commands, string? opaque)
    {
        Commands = commands;
        Opaque = opaque;
        Destructive = DestructiveOperations.Match(commands);
    }

    /// <summary>Every program the command would run, as far as it can be seen.</summary>
    public IReadOnlyList<ResolvedCommand> Commands { get; }

    /// <summary>Why part of the command cannot be seen (e.g. "code handed to python -c"), or null.</summary>
    public string? Opaque { get; }

    /// <summary>The first shipped destructive check a program matches, or null.</summary>
    public string? Destructive { get; }

    public static BashAnalysis Of(ShellCommand shell, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(workingDirectory);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workingDirectory));
        var resolver = new Resolver(root);
        resolver.Shell(shell, [root], 0, false);
        return new BashAnalysis(resolver.Commands, resolver.Opaque);
    }

    public static BashAnalysis Of(string command, string workingDirectory) => Of(ShellCommand.Parse(command), workingDirectory);

    private sealed class Resolver(string root)
    {
        public List<ResolvedCommand> Commands { get; } = [];

        public string? Opaque { get; private set; }

        private void Hide(string why) => Opaque ??= why;

        /// <summary>Judges a parsed command; <paramref name="directories"/> null means the working folder is unknown.</summary>
        public void Shell(ShellCommand shell, List<string>? directories, int depth, bool runtimeArguments)
        {
            if (shell.Opaque is { } why)
            {
                Hide(why);
            }

            if (depth > MaxDepth)
            {
                Hide("shells nested too deep to follow");
                return;
            }

            foreach (var command in shell.Commands)
            {
                if (command.Redirections.Count > 0)
                {
                    Commands.Add(new ResolvedCommand([], command.Redirections, null, directories, root, false));
                }

                Simple([.. command.Words], command, directories, depth, runtimeArguments);
                directories = AfterDirectoryChange(command.Words, directories);
            }
        }

        /// <summary>The folders a later command may run in after <c>cd</c>/<c>pushd</c>: every earlier one stays possible.</summary>
        private static List<string>? AfterDirectoryChange(IReadOnlyList<ShellWord> words, List<string>? directories)
        {
            var program = words.SkipWhile(w => ShellCommand.IsAssignment(w.Text) || w.Text is "builtin" or "command").FirstOrDefault();
            if (program is { Text: "eval" } && words.Any(w => w.Text.Contains("cd", StringComparison.Ordinal) || w.Text.Contains("pushd", StringComparison.Ordinal)))
            {
                // eval changes this shell's folder; not worth following: later relative paths count as outside.
                return null;
            }

            if (program is null || program.Text is not ("cd" or "pushd" or "popd" or "chdir"))
            {
                return directories;
            }

            var targets = words.SkipWhile(w => w != program).Skip(1).Where(w => !w.Text.StartsWith('-')).ToList();
            if (directories is null || program.Text == "popd" || targets.Count != 1 || !targets[0].IsStatic || targets[0].Text.StartsWith('~'))
            {
                return null;
            }

            return [.. directories.Concat(directories.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(targets[0].Text, d)))).Distinct()];
        }

        private void Code(string code, string via, List<string>? directories, int depth, bool runtimeArguments)
        {
            var inner = ShellCommand.Parse(code);
            if (inner.Opaque is not null || depth + 1 > MaxDepth)
            {
                Hide($"code handed to {via}");
                return;
            }

            Shell(inner, directories, depth + 1, runtimeArguments);
        }

        private void CodeWords(IReadOnlyList<ShellWord> words, string via, List<string>? directories, int depth, bool runtimeArguments)
        {
            if (words.Any(w => w.Dynamic))
            {
                Hide($"code handed to {via}");
                return;
            }

            Code(string.Join(' ', words.Select(w => w.Text)), via, directories, depth, runtimeArguments);
        }

        private void Simple(List<ShellWord> words, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            var i = 0;
            while (i < words.Count && (ShellCommand.IsAssignment(words[i].Text) || (Keywords.Contains(words[i].Text) && !words[i].Quoted)))
            {
                var variable = words[i].Text.Split('=')[0];
                if (RiskyVariables.Contains(variable) && words[i].Text.Contains('=', StringComparison.Ordinal))
                {
                    Hide($"sets {variable}, which changes what runs");
                }

                i++;
            }

            if (i >= words.Count)
            {
                return;
            }

            var head = words[i];
            if (head.Dynamic)
            {
                Hide($"the program is decided at run time ({head.Text})");
                return;
            }

            if (head.Pattern)
            {
                Hide($"the program name is a pattern ({head.Text})");
                return;
            }

            if (head.Quoted)
            {
                Hide($"quoting in the program name ({head.Text})");
                return;
            }

            var name = head.Text.Contains('/', StringComparison.Ordinal) ? Path.GetFileName(head.Text.TrimEnd('/')) : head.Text;
            if (NoProgram.Contains(name))
            {
                if (name is "declare" or "typeset" or "local" or "export" or "readonly")
                {
                    foreach (var assignment in words.Skip(i + 1).Where(w => ShellCommand.IsAssignment(w.Text)))
                    {
                        if (RiskyVariables.Contains(assignment.Text.Split('=')[0]))
                        {
                            Hide($"sets {assignment.Text.Split('=')[0]}, which changes what runs");
                        }
                    }

                }

                return;
            }

            var args = words.Skip(i + 1).ToList();
            var program = new List<ShellWord>(words.Count - i) { ShellWord.Literal(name) };
            program.AddRange(args);
            if (Launch(name, args, source, directories, depth, runtimeArguments))
            {
                return;
            }

            var resolved = new ResolvedCommand(program, [], source.Stdin, directories, root, runtimeArguments);
            Commands.Add(resolved);
            if ((runtimeArguments || args.Any(a => a.Dynamic)) && DestructiveOperations.HasDestructiveForm(resolved) && !DestructiveOperations.JudgesRuntimeArguments(name))
            {
                Hide($"arguments of {name} decided at run time");
            }
        }

        /// <summary>Follows a program that runs other code; true when nothing more is to be recorded for it.</summary>
        private bool Launch(string name, List<ShellWord> args, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            switch (name)
            {
                case "eval":
                    CodeWords(args, "eval", directories, depth, runtimeArguments);
                    return true;
                case "source" or ".":
                    Hide($"runs a file in this shell ({name})");
                    return true;
                case "alias":
                    if (args.Any(a => a.Text.Contains('=', StringComparison.Ordinal)))
                    {
                        Hide("defines an alias");
                    }

                    return true;
                case "function":
                    Hide("defines a function");
                    return true;
                case "trap":
                    if (args.FirstOrDefault(a => !a.Text.StartsWith('-')) is { } handler)
                    {
                        CodeWords([handler], "trap", directories, depth, runtimeArguments);
                    }

                    return true;
                case "at" or "batch" or "bwrap" or "firejail" or "tclsh" or "wish" or "expect":
                    Hide($"code handed to {name}");
                    return true;
                case "crontab":
                    if (!args.Any(a => a.Text is "-r" or "-l" or "-ir"))
                    {
                        Hide("installs a crontab");
                        return true;
                    }

                    return false;
                case "busybox" or "toybox":
                    if (args.Count > 0)
                    {
                        Simple(args, source, directories, depth, runtimeArguments);
                    }

                    return true;
                case "command":
                    if (args.Any(a => a.Text is "-v" or "-V"))
                    {
                        return true;
                    }

                    Then(args, [], 0, source, directories, depth, runtimeArguments);
                    return true;
                case "builtin" or "nohup" or "setsid" or "unbuffer" or "catchsegv" or "caffeinate" or "exec" or "time" or "nice" or "stdbuf" or "systemd-run" or "prlimit" or "cgexec" or "numactl":
                    Then(args, LauncherOptions(name), 0, source, directories, depth, runtimeArguments);
                    return true;
                case "timeout" or "taskset" or "chrt":
                    if (args.Any(a => a.Text is "-p" or "--pid"))
                    {
                        return true;
                    }

                    Then(args, LauncherOptions(name), 1, source, directories, depth, runtimeArguments);
                    return true;
                case "ionice":
                    if (!args.Any(a => a.Text is "-p" or "-P" or "-u"))
                    {
                        Then(args, LauncherOptions(name), 0, source, directories, depth, runtimeArguments);
                    }

                    return true;
                case "strace" or "ltrace":
                    Then(args, LauncherOptions(name), 0, source, directories, depth, runtimeArguments);
                    return true;
                case "chroot" or "nsenter" or "unshare":
                    if (!Then(args, LauncherOptions(name), name == "chroot" ? 1 : 0, source, null, depth, runtimeArguments))
                    {
                        Hide($"a shell through {name}");
                    }

                    return true;
                case "env":
                    Env(args, source, directories, depth, runtimeArguments);
                    return true;
                case "sudo" or "doas":
                    Sudo(name, args, source, directories, depth, runtimeArguments);
                    return true;
                case "su" or "runuser":
                    User(name, args, source, directories, depth, runtimeArguments);
                    return true;
                case "flock":
                    if (CodeOption(args, ["-c", "--command"]) is { } flockCode)
                    {
                        CodeWords([flockCode], "flock -c", directories, depth, runtimeArguments);
                    }
                    else
                    {
                        Then(args, LauncherOptions(name), 1, source, directories, depth, runtimeArguments);
                    }

                    return true;
                case "script":
                    if (CodeOption(args, ["-c", "--command"]) is { } scriptCode)
                    {
                        CodeWords([scriptCode], "script -c", directories, depth, runtimeArguments);
                    }

                    return true;
                case "watch":
                    {
                        var rest = AfterOptions(args, ["-n", "--interval", "-q", "--equexit"], out var _);
                        if (args.Any(a => a.Text is "-x" or "--exec"))
                        {
                            Simple(rest, source, directories, depth, runtimeArguments);
                        }
                        else if (rest.Count > 0)
                        {
                            CodeWords(rest, "watch", directories, depth, runtimeArguments);
                        }

                        return true;
                    }

                case "xargs":
                    {
                        var rest = AfterOptions(args, LauncherOptions(name), out _);
                        if (rest.Count > 0)
                        {
                            Simple(rest, source, directories, depth, true);
                        }

                        return true;
                    }

                case "parallel":
                    {
                        var rest = AfterOptions(args, LauncherOptions(name), out _).TakeWhile(a => a.Text is not (":::" or "::::" or ":::+" or "::::+")).ToList();
                        if (rest.Count > 0)
                        {
                            CodeWords(rest, "parallel", directories, depth, true);
                        }
                        else
                        {
                            Hide("commands read by parallel");
                        }

                        return true;
                    }

                case "ssh":
                    {
                        var rest = AfterOptions(args, LauncherOptions(name), out _);
                        if (rest.Count > 1)
                        {
                            CodeWords(rest.Skip(1).ToList(), "ssh", null, depth, runtimeArguments);
                        }
                        else
                        {
                            Hide("a remote shell (ssh)");
                        }

                        return true;
                    }

                case "npx" or "bunx" or "pnpx":
                    if (CodeOption(args, ["-c", "--call"]) is { } npxCode)
                    {
                        CodeWords([npxCode], $"{name} -c", directories, depth, runtimeArguments);
                        return true;
                    }

                    Then(args, ["-p", "--package"], 0, source, directories, depth, runtimeArguments);
                    return true;
                case "make" or "gmake":
                    if (args.Any(a => a.Text is "-E" or "--eval" or "-f-" || a.Text.StartsWith("--eval=", StringComparison.Ordinal) || a.Text.StartsWith("SHELL=", StringComparison.Ordinal) || a.Text.StartsWith(".SHELLFLAGS=", StringComparison.Ordinal))
                        || args.Zip(args.Skip(1)).Any(p => p.First.Text is "-f" or "--file" or "--makefile" && p.Second.Text is "-" or "/dev/stdin"))
                    {
                        Hide($"code handed to {name}");
                        return true;
                    }

                    return false;
                case "tmux" or "screen":
                    if (args.Any(a => a.Text is "send-keys" or "send" or "run-shell" or "run" or "new-session" or "new" or "new-window" or "neww" or "split-window" or "splitw" or "respawn-pane" or "respawn-window" or "pipe-pane" or "-X" or "stuff" or "-dm" or "-dmS"))
                    {
                        Hide($"commands handed to {name}");
                        return true;
                    }

                    return false;
                case "docker" or "podman" or "nerdctl" or "kubectl" or "oc":
                    return Container(name, args, source, depth, runtimeArguments);
                case "git":
                    return Git(args, directories, depth, runtimeArguments);
                case "find":
                    Find(args, source, directories, depth);
                    return false;
                case "awk" or "gawk" or "mawk" or "nawk" or "busybox-awk":
                    {
                        var programText = args.Zip(args.Skip(1)).Any(p => p.First.Text is "-f" or "--file") ? null
                            : AfterOptions(args, ["-F", "-v", "--assign", "--field-separator"], out _).FirstOrDefault();
                        if (programText is not null && AwkRunsCommands().IsMatch(programText.Text))
                        {
                            Hide($"{name} runs a command");
                            return true;
                        }

                        return false;
                    }

                case "sed" or "gsed":
                    if (args.Any(a => SedExecutes().IsMatch(a.Text)))
                    {
                        Hide($"{name} runs a command (e)");
                        return true;
                    }

                    return false;
            }

            if (Shells.Contains(name))
            {
                ShellProgram(name, args, source, directories, depth, runtimeArguments);
                return true;
            }

            if (InterpreterCodeFlag(name, args) is { } flag)
            {
                Hide($"code handed to {name} {flag}");
                return true;
            }

            if (IsInterpreter(name) && ReadsStdin(name, args) && (source.Stdin is not null || source.Piped))
            {
                Hide($"code piped into {name}");
                return true;
            }

            return false;
        }

        /// <summary>Resolves the command after a launcher's options and <paramref name="positionals"/> leading arguments; false when there is none.</summary>
        private bool Then(List<ShellWord> args, IReadOnlyCollection<string> optionsWithValue, int positionals, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            var rest = AfterOptions(args, optionsWithValue, out _).Skip(positionals).ToList();
            // A value of an option we do not know (a number, a duration) is not a program.
            while (rest.Count > 0 && NumberLike().IsMatch(rest[0].Text))
            {
                rest.RemoveAt(0);
            }

            if (rest.Count == 0)
            {
                return false;
            }

            Simple(rest, source, directories, depth, runtimeArguments);
            return true;
        }

        private static List<ShellWord> AfterOptions(List<ShellWord> args, IReadOnlyCollection<string> optionsWithValue, out bool ended)
        {
            ended = false;
            var i = 0;
            while (i < args.Count)
            {
                var text = args[i].Text;
                if (text == "--")
                {
                    ended = true;
                    i++;
                    break;
                }

                if (!text.StartsWith('-') || text == "-")
                {
                    break;
                }

                i += optionsWithValue.Contains(text) ? 2 : 1;
            }

            return args.Skip(i).ToList();
        }

        private static ShellWord? CodeOption(List<ShellWord> args, string[] options)
        {
            for (var i = 0; i < args.Count; i++)
            {
                if (options.Contains(args[i].Text))
                {
                    return i + 1 < args.Count ? args[i + 1] : null;
                }

                foreach (var option in options.Where(o => o.StartsWith("--", StringComparison.Ordinal)))
                {
                    if (args[i].Text.StartsWith(option + "=", StringComparison.Ordinal))
                    {
                        return args[i] with { Text = args[i].Text[(option.Length + 1)..] };
                    }
                }
            }

            return null;
        }

        private static IReadOnlyCollection<string> LauncherOptions(string name) => name switch
        {
            "exec" => ["-a"],
            "time" => ["-f", "--format", "-o", "--output"],
            "nice" => ["-n", "--adjustment"],
            "stdbuf" => ["-i", "-o", "-e", "--input", "--output", "--error"],
            "timeout" => ["-s", "--signal", "-k", "--kill-after"],
            "taskset" => [],
            "chrt" => [],
            "ionice" => ["-c", "--class", "-n", "--classdata"],
            "strace" => ["-o", "-e", "-p", "-s", "-u", "-E", "-P", "-I", "-b", "-a", "-X", "-O", "-S"],
            "ltrace" => ["-o", "-e", "-p", "-s", "-u", "-n", "-a", "-A", "-D", "-l", "-x"],
            "flock" => ["-w", "--wait", "--timeout", "-E", "--conflict-exit-code"],
            "chroot" => ["--userspec", "--groups"],
            "nsenter" => ["-t", "--target", "-S", "--setuid", "-G", "--setgid"],
            "systemd-run" => ["-p", "--property", "-E", "--setenv", "--uid", "--gid", "-u", "--unit", "-M", "--machine", "-H", "--host", "--description", "--slice", "--working-directory", "--nice"],
            "prlimit" => ["-p", "--pid"],
            "cgexec" => ["-g"],
            "numactl" => ["-C", "-N", "-m", "-p", "-i"],
            "caffeinate" => ["-t", "-w"],
            "xargs" => ["-I", "-L", "-n", "-P", "-d", "-E", "-s", "-a", "--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-lines", "--eof", "--replace", "--max-chars", "--process-slot-var"],
            "parallel" => ["-j", "--jobs", "-S", "--sshlogin", "--joblog", "--results", "-N", "--max-args", "-I", "--colsep", "-d", "--delay", "--timeout", "--tmpdir", "-a", "--arg-file"],
            "ssh" => ["-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w", "-B"],
            _ => [],
        };

        private void Env(List<ShellWord> args, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            var i = 0;
            while (i < args.Count)
            {
                var text = args[i].Text;
                if (text is "-S" or "--split-string" || text.StartsWith("--split-string=", StringComparison.Ordinal) || (text.StartsWith("-S", StringComparison.Ordinal) && text.Length > 2))
                {
                    var code = text is "-S" or "--split-string" ? args.Skip(i + 1).ToList()
                        : [args[i] with { Text = text.StartsWith("-S", StringComparison.Ordinal) ? text[2..] : text["--split-string=".Length..] }, .. args.Skip(i + 1)];
                    CodeWords(code, "env -S", directories, depth, runtimeArguments);
                    return;
                }

                if (text is "-C" or "--chdir" || text.StartsWith("--chdir=", StringComparison.Ordinal))
                {
                    directories = null;
                }

                if (text is "-u" or "--unset" or "-C" or "--chdir" or "-P")
                {
                    i += 2;
                    continue;
                }

                if (text == "--")
                {
                    i++;
                    break;
                }

                if (text.StartsWith('-') && text != "-")
                {
                    i++;
                    continue;
                }

                break;
            }

            // env NAME=value … program: the assignments are the program's environment.
            var rest = args.Skip(i).ToList();
            if (rest.Count > 0)
            {
                Simple(rest, source, directories, depth, runtimeArguments);
            }
        }

        private void Sudo(string name, List<ShellWord> args, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            string[] withValue = ["-u", "--user", "-g", "--group", "-C", "--close-from", "-D", "--chdir", "-h", "--host", "-p", "--prompt", "-r", "--role", "-t", "--type", "-U", "--other-user", "-T", "--command-timeout"];
            var shell = args.Any(a => a.Text is "-s" or "--shell" or "-i" or "--login" || (a.Text.StartsWith('-') && !a.Text.StartsWith("--", StringComparison.Ordinal) && a.Text.Length > 2 && (a.Text.Contains('s', StringComparison.Ordinal) || a.Text.Contains('i', StringComparison.Ordinal))));
            if (args.Any(a => a.Text is "-e" or "--edit" or "-l" or "--list" or "-v" or "--validate" or "-k" or "-K"))
            {
                return;
            }

            if (args.Any(a => a.Text is "-i" or "--login" or "-D" or "--chdir"))
            {
                directories = null;
            }

            var rest = AfterOptions(args, withValue, out _);
            if (rest.Count == 0)
            {
                Hide($"a root shell ({name})");
                return;
            }

            if (shell && name == "sudo")
            {
                CodeWords(rest, $"{name} -s", directories, depth, runtimeArguments);
                return;
            }

            Simple(rest, source, directories, depth, runtimeArguments);
        }

        private void User(string name, List<ShellWord> args, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            if (CodeOption(args, ["-c", "--command", "--session-command"]) is { } code)
            {
                CodeWords([code], $"{name} -c", args.Any(a => a.Text is "-" or "-l" or "--login") ? null : directories, depth, runtimeArguments);
                return;
            }

            if (name == "runuser" && args.Any(a => a.Text is "-u" or "--user"))
            {
                var rest = AfterOptions(args, ["-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w", "--whitelist-environment"], out _);
                if (rest.Count > 0)
                {
                    Simple(rest, source, directories, depth, runtimeArguments);
                    return;
                }
            }

            Hide($"a shell as another user ({name})");
        }

        private void ShellProgram(string name, List<ShellWord> args, SimpleCommand source, List<string>? directories, int depth, bool runtimeArguments)
        {
            var code = false;
            var stdin = false;
            var i = 0;
            for (; i < args.Count; i++)
            {
                var text = args[i].Text;
                if (text == "--")
                {
                    i++;
                    break;
                }

                if (text is "-" or "--stdin")
                {
                    stdin = true;
                    continue;
                }

                if (text is "-o" or "+o" or "-O" or "+O" or "--rcfile" or "--init-file")
                {
                    i++;
                    continue;
                }

                if (text == "--command")
                {
                    code = true;
                    continue;
                }

                if (text.StartsWith("--", StringComparison.Ordinal))
                {
                    continue;
                }

                if (text.Length > 1 && text[0] is '-' or '+')
                {
                    code |= text.Contains('c', StringComparison.Ordinal);
                    stdin |= text.Contains('s', StringComparison.Ordinal);
                    continue;
                }

                break;
            }

            if (code)
            {
                if (i >= args.Count)
                {
                    Hide($"code handed to {name} -c");
                    return;
                }

                // bash -c CODE NAME ARG…: the arguments after the code are its $0, $1 …, seen at run time.
                if (args[i].Dynamic)
                {
                    Hide($"code handed to {name} -c");
                    return;
                }

                Code(args[i].Text, $"{name} -c", directories, depth, runtimeArguments || i + 1 < args.Count);
                return;
            }

            if (i < args.Count && !stdin)
            {
                var script = args[i];
                if (!script.IsStatic || script.Text is "/dev/stdin" or "/dev/fd/0" || script.Text.StartsWith("/proc/self/fd", StringComparison.Ordinal))
                {
                    Hide($"code handed to {name}");
                }

                // A script file: what it does is not visible to a static check (see docs/gates.md).
                return;
            }

            if (source.Stdin is { } text2 && !source.StdinDynamic)
            {
                Code(text2, $"{name} (a here-document)", directories, depth, runtimeArguments);
                return;
            }

            Hide(source.Piped ? $"code piped into {name}" : $"code read by {name} from standard input");
        }

        private bool Container(string name, List<ShellWord> args, SimpleCommand source, int depth, bool runtimeArguments)
        {
            if (name is "docker" or "podman" or "nerdctl" && args.FindIndex(a => a.Text is "run" or "create") is var run and >= 0)
            {
                // docker run [options] IMAGE [cmd…] (a mounted host folder makes its deletes real).
                string[] withValue = ["-v", "--volume", "-e", "--env", "-w", "--workdir", "-p", "--publish", "--name", "-u", "--user", "--network", "--net", "--mount", "-l", "--label", "--env-file", "--platform", "--cpus", "-m", "--memory", "--add-host", "--device", "--restart", "-h", "--hostname", "--log-driver", "--cap-add", "--cap-drop", "--security-opt", "--tmpfs", "--ulimit", "--pull", "--gpus", "--shm-size", "--ipc", "--pid", "--runtime", "--dns", "--expose", "--link", "--volumes-from", "--group-add", "--stop-signal", "--entrypoint", "-a", "--attach", "--cidfile", "--health-cmd"];
                var runArgs = args.Skip(run + 1).ToList();
                var afterImage = AfterOptions(runArgs, withValue, out _).Skip(1).ToList();
                if (CodeOption(runArgs, ["--entrypoint"]) is { } entrypoint)
                {
                    afterImage.Insert(0, entrypoint);
                }

                if (afterImage.Count > 0)
                {
                    Simple(afterImage, source, null, depth, runtimeArguments);
                }

                return false;
            }

            // docker exec CONTAINER cmd…, kubectl exec POD -- cmd…: a program in another filesystem.
            var exec = args.FindIndex(a => a.Text == "exec");
            if (exec < 0)
            {
                return false;
            }

            List<ShellWord> rest;
            if (name is "kubectl" or "oc")
            {
                var dashes = args.FindIndex(exec, a => a.Text == "--");
                rest = dashes < 0 ? [] : args.Skip(dashes + 1).ToList();
            }
            else
            {
                rest = AfterOptions(args.Skip(exec + 1).ToList(), ["-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys"], out _).Skip(1).ToList();
            }

            if (rest.Count > 0)
            {
                Simple(rest, source, null, depth, runtimeArguments);
            }

            return false;
        }

        private bool Git(List<ShellWord> args, List<string>? directories, int depth, bool runtimeArguments)
        {
            for (var i = 0; i < args.Count; i++)
            {
                var text = args[i].Text;
                if (text == "-c" && i + 1 < args.Count)
                {
                    var setting = args[i + 1];
                    if (setting.Dynamic || GitRunsCommand(setting.Text))
                    {
                        Hide($"git -c {setting.Text.Split('=')[0]} runs a command");
                        return true;
                    }

                    i++;
                    continue;
                }

                if (text.StartsWith("--config-env", StringComparison.Ordinal) || text.StartsWith("--exec-path=", StringComparison.Ordinal))
                {
                    Hide($"git {text.Split('=')[0]} changes what runs");
                    return true;
                }

                if (text is "-C" or "--git-dir" or "--work-tree" or "--namespace")
                {
                    i++;
                    continue;
                }

                if (text.StartsWith('-'))
                {
                    continue;
                }

                if (args[i].Dynamic)
                {
                    Hide($"the git command is decided at run time ({text})");
                    return true;
                }

                var rest = args.Skip(i + 1).ToList();
                switch (text)
                {
                    case "config":
                        if (rest.Zip(rest.Skip(1)).Any(p => GitRunsCommand($"{p.First.Text}={p.Second.Text}")) || rest.Any(a => GitRunsCommand(a.Text)))
                        {
                            Hide("git config sets a command to run");
                            return true;
                        }

                        break;
                    case "rebase":
                        if (CodeOption(rest, ["-x", "--exec"]) is { } exec)
                        {
                            CodeWords([exec], "git rebase --exec", directories, depth, runtimeArguments);
                        }

                        break;
                    case "submodule":
                        var foreachAt = rest.FindIndex(a => a.Text == "foreach");
                        if (foreachAt >= 0)
                        {
                            var code = rest.Skip(foreachAt + 1).SkipWhile(a => a.Text.StartsWith('-')).ToList();
                            CodeWords(code, "git submodule foreach", null, depth, true);
                        }

                        break;
                    case "bisect":
                        if (rest.Count > 1 && rest[0].Text == "run")
                        {
                            Simple(rest.Skip(1).ToList(), NoInput, directories, depth, runtimeArguments);
                        }

                        break;
                }

                return false;
            }

            return false;
        }

        private static readonly SimpleCommand NoInput = ShellCommand.Parse("true").Commands[0];

        /// <summary>A git setting that runs a program: an alias, hooks, an editor, a pager, ssh, a filter …</summary>
        private static bool GitRunsCommand(string setting)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? setting : setting[..equals]).ToLowerInvariant();
            var value = equals < 0 ? string.Empty : setting[(equals + 1)..];
            return key.StartsWith("alias.", StringComparison.Ordinal)
                || value.StartsWith('!')
                || key is "core.sshcommand" or "core.pager" or "core.editor" or "core.hookspath" or "core.fsmonitor" or "core.askpass" or "sequence.editor" or "diff.external" or "gpg.program" or "credential.helper" or "pager.log" or "uploadpack.packobjectshook"
                || (key.StartsWith("filter.", StringComparison.Ordinal) && (key.EndsWith(".clean", StringComparison.Ordinal) || key.EndsWith(".smudge", StringComparison.Ordinal) || key.EndsWith(".process", StringComparison.Ordinal)))
                || ((key.StartsWith("diff.", StringComparison.Ordinal) || key.StartsWith("merge.", StringComparison.Ordinal)) && (key.EndsWith(".command", StringComparison.Ordinal) || key.EndsWith(".driver", StringComparison.Ordinal) || key.EndsWith(".textconv", StringComparison.Ordinal)))
                || key.StartsWith("pager.", StringComparison.Ordinal);
        }

        private void Find(List<ShellWord> args, SimpleCommand source, List<string>? directories, int depth)
        {
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i].Text is not ("-exec" or "-execdir" or "-ok" or "-okdir"))
                {
                    continue;
                }

                var end = args.FindIndex(i + 1, a => a.Text is ";" or "+");
                var command = args.Skip(i + 1).Take((end < 0 ? args.Count : end) - i - 1).ToList();
                if (command.Count > 0)
                {
                    Simple(command, NoInput, args[i].Text is "-execdir" or "-okdir" ? null : directories, depth, true);
                }

                i = end < 0 ? args.Count : end;
            }
        }

        private static string? InterpreterCodeFlag(string name, List<ShellWord> args)
        {
            string[] flags = name switch
            {
                _ when Python().IsMatch(name) => ["-c"],
                "node" or "nodejs" or "bun" => ["-e", "--eval", "-p", "--print"],
                "deno" => ["eval"],
                "perl" or "ruby" or "lua" or "luajit" or "Rscript" or "osascript" or "julia" or "jshell" => ["-e", "-E"],
                "php" => ["-r", "-R", "-B", "-E"],
                "pwsh" or "powershell" => ["-c", "-command", "-Command", "-e", "-ec", "-EncodedCommand", "-encodedcommand"],
                _ => [],
            };
            if (flags.Length == 0)
            {
                return null;
            }

            foreach (var arg in args)
            {
                if (flags.Contains(arg.Text) || flags.Any(f => arg.Text.StartsWith(f + "=", StringComparison.Ordinal)))
                {
                    return arg.Text.Split('=')[0];
                }

                // Clustered short flags: perl -pie '…', python -Bc '…', ruby -ne '…'.
                if ((name is "perl" or "ruby" || Python().IsMatch(name)) && arg.Text.Length > 2 && arg.Text[0] == '-' && arg.Text[1] != '-' && flags.FirstOrDefault(f => f.Length == 2 && arg.Text.Contains(f[1], StringComparison.Ordinal)) is { } clustered)
                {
                    return clustered;
                }

                if (!arg.Text.StartsWith('-') && name != "deno")
                {
                    break;
                }
            }

            return null;
        }

        private static bool IsInterpreter(string name) =>
            Python().IsMatch(name) || name is "node" or "nodejs" or "deno" or "bun" or "perl" or "ruby" or "php" or "lua" or "luajit" or "Rscript" or "R" or "osascript" or "julia" or "pwsh" or "powershell" or "irb" or "ghci" or "scala" or "groovy" or "jshell";

        /// <summary>No script file is named (or it is <c>-</c>): the interpreter runs what it reads.</summary>
        private static bool ReadsStdin(string name, List<ShellWord> args)
        {
            var rest = AfterOptions(args, Python().IsMatch(name) ? ["-W", "-X", "-Q"] : [], out _);
            if (args.Any(a => a.Text == "-m") && Python().IsMatch(name))
            {
                return false;
            }

            return rest.Count == 0 || rest[0].Text is "-" or "/dev/stdin";
        }
    }

    [GeneratedRegex(@"^(?:python|pypy)[0-9.]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Python();

    [GeneratedRegex(@"^[0-9]+(?:\.[0-9]+)?[smhd]?$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberLike();

    [GeneratedRegex(@"\bsystem\s*\(|\|\s*&|\|\s*""|""\s*\|\s*getline", RegexOptions.CultureInvariant)]
    private static partial Regex AwkRunsCommands();

    // GNU sed's e command and the e flag of s///: the pattern space runs as a shell command.
    [GeneratedRegex(@"(?:^|[;\n{}]\s*)e(?:\s|$|;)|s(.).*\1.*\1[gpiIm0-9]*e", RegexOptions.CultureInvariant)]
    private static partial Regex SedExecutes();
}
