using Fleet.Processes;

namespace Fleet.Worktrees;

/// <summary>What one git command did: its exit code and everything it wrote.</summary>
public sealed record GitResult(IReadOnlyList<string> Args, string WorkingDirectory, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The command as a person would type it, for messages (never executed as a string).</summary>
    public string CommandLine => GitCli.Describe(Args);
}

/// <summary>A git command failed; the message names the command, the folder and git's own words.</summary>
public class GitException : Exception
{
    public GitException(string message, GitResult? result = null)
        : base(message)
    {
        Result = result;
    }

    public GitException()
    {
    }

    public GitException(string message)
        : base(message)
    {
    }

    public GitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The failed command, when git ran at all.</summary>
    public GitResult? Result { get; }
}

/// <summary>git exited 128 with "not a git repository": the folder is in no repository.</summary>
public sealed class NotAGitRepositoryException : GitException
{
    public NotAGitRepositoryException(string message, GitResult? result = null)
        : base(message, result)
    {
    }

    public NotAGitRepositoryException()
    {
    }

    public NotAGitRepositoryException(string message)
        : base(message)
    {
    }

    public NotAGitRepositoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A small wrapper over the git CLI, after git-credential-manager's GitProcess: run through <see cref="CommandRunner"/>
/// (argv, stdin closed, both streams drained), with no prompts, C locale (git's messages are stable to read), and
/// errors that carry the command and git's stderr.
/// </summary>
public sealed class GitCli
{
    // Variables that would point git at another repository than the folder we name with -C.
    private static readonly string[] RepositoryOverrides =
    [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX",
    ];

    private static readonly KeyValuePair<string, string?>[] Quiet =
    [
        new("GIT_TERMINAL_PROMPT", "0"), new("GIT_ASKPASS", ""), new("SSH_ASKPASS", ""), new("GCM_INTERACTIVE", "never"),
        new("GIT_EDITOR", "true"), new("GIT_PAGER", "cat"), new("LC_ALL", "C"), new("LANGUAGE", "C"),
    ];

    public GitCli(string executable = "git")
    {
        Executable = executable;
    }

    public static GitCli Default { get; } = new();

    public string Executable { get; }

    /// <summary>Runs <c>git -C DIR ARGS</c> and returns its result whatever the exit code.</summary>
    public async Task<GitResult> RunAsync(string workingDirectory, IReadOnlyList<string> args, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(workingDirectory);
        ArgumentNullException.ThrowIfNull(args);
        cancellationToken.ThrowIfCancellationRequested();
        if (!Directory.Exists(workingDirectory))
        {
            throw new GitException($"{workingDirectory}: no such folder (running {Describe(args)})");
        }

        var result = await new CommandRunner(Executable)
            .WithArguments(["-C", workingDirectory, .. args])
            .WithWorkingDirectory(workingDirectory)
            .WithEnvironment(EnvironmentFor(environment))
            .ExecuteBufferedAsync(cancellationToken);
        if (!result.Started)
        {
            throw new GitException($"{result.Stderr} (is git installed and on PATH?)");
        }

        return new GitResult([.. args], workingDirectory, result.ExitCode, result.Stdout, result.Stderr);
    }

    // No prompts, no editor or pager, C locale, and only the repository named with -C; then the caller's own.
    private static IEnumerable<KeyValuePair<string, string?>> EnvironmentFor(IReadOnlyDictionary<string, string>? environment)
    {
        foreach (var name in RepositoryOverrides)
        {
            yield return new(name, null);
        }

        foreach (var change in Quiet)
        {
            yield return change;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            yield return new(name, value);
        }
    }

    /// <summary>Runs git and throws <see cref="GitException"/> unless it exits 0.</summary>
    public async Task<GitResult> RunCheckedAsync(string workingDirectory, IReadOnlyList<string> args, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(workingDirectory, args, cancellationToken, environment);
        return result.Succeeded ? result : throw Failure(result);
    }

    /// <summary>Runs git and returns its stdout without the trailing newline; throws unless it exits 0.</summary>
    public async Task<string> OutputAsync(string workingDirectory, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var result = await RunCheckedAsync(workingDirectory, args, cancellationToken);
        return result.Stdout.TrimEnd('\n');
    }

    /// <summary>The error for a failed command: the command, the folder and git's stderr.</summary>
    public static GitException Failure(GitResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var stderr = result.Stderr.Trim();
        if (result.ExitCode == 128 && stderr.Contains("not a git repository", StringComparison.OrdinalIgnoreCase))
        {
            return new NotAGitRepositoryException($"{result.WorkingDirectory} is not inside a git repository ({result.CommandLine}: {stderr})", result);
        }

        var said = stderr.Length > 0 ? stderr : result.Stdout.Trim();
        return new GitException($"{result.CommandLine} failed in {result.WorkingDirectory} (exit {result.ExitCode}){(said.Length > 0 ? ": " + said : "")}", result);
    }

    internal static string Describe(IEnumerable<string> args) =>
        "git " + string.Join(' ', args.Select(a => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or '$') ? "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : a));
}
