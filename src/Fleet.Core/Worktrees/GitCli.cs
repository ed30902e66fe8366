using System.ComponentModel;
using System.Diagnostics;
using System.Text;

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
/// A small wrapper over the git CLI, after git-credential-manager's GitProcess: an argv array (never a shell
/// string), stdin closed, stdout and stderr drained concurrently (a full stderr pipe cannot deadlock us), no
/// prompts, C locale (git's messages are stable to read), and errors that carry the command and git's stderr.
/// </summary>
public sealed class GitCli
{
    // Variables that would point git at another repository than the folder we name with -C.
    private static readonly string[] RepositoryOverrides =
    [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX",
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

        var psi = new ProcessStartInfo
        {
            FileName = Executable,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(workingDirectory);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var name in RepositoryOverrides)
        {
            psi.Environment.Remove(name);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_ASKPASS"] = "";
        psi.Environment["SSH_ASKPASS"] = "";
        psi.Environment["GCM_INTERACTIVE"] = "never";
        psi.Environment["GIT_EDITOR"] = "true";
        psi.Environment["GIT_PAGER"] = "cat";
        psi.Environment["LC_ALL"] = "C";
        psi.Environment["LANGUAGE"] = "C";
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                psi.Environment[name] = value;
            }
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new GitException($"cannot run {Executable}: {ex.Message} (is git installed and on PATH?)", ex);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended on its own meanwhile.
            }

            throw;
        }

        return new GitResult([.. args], workingDirectory, process.ExitCode, await stdout, await stderr);
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
