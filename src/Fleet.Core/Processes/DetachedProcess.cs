using System.ComponentModel;
using System.Diagnostics;
using Fleet.Paths;

namespace Fleet.Processes;

/// <summary>A detached process could not be started; the message says what to check.</summary>
public sealed class DetachedStartException : Exception
{
    public DetachedStartException(string message)
        : base(message)
    {
    }

    public DetachedStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DetachedStartException()
    {
    }
}

/// <summary>
/// Starts a process that outlives its starter, the terminal and Ctrl+C: its own session (<c>setsid -f</c>),
/// stdin from /dev/null, stdout and stderr appended to a log file, and no pipe back to the caller, so
/// <c>$(fleet launch …)</c> never waits on it. The small <c>sh</c> script is a constant; the argv travels as
/// arguments (<c>"$0" "$@"</c>), never pasted into a string. Used for the orchestrator and background workers.
/// </summary>
public static class DetachedProcess
{
    /// <summary>The log path travels in a variable the script removes, so the started process never sees it.</summary>
    public const string Script = "log=$FLEET_DETACHED_LOG; unset FLEET_DETACHED_LOG; exec \"$0\" \"$@\" </dev/null >>\"$log\" 2>&1";

    public const string LogVariable = "FLEET_DETACHED_LOG";

    public static readonly TimeSpan HandOverTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Starts <paramref name="argv"/> detached; returns once <c>sh</c> has handed over to it.</summary>
    /// <exception cref="DetachedStartException">The program, setsid or the log cannot be used.</exception>
    public static async Task StartAsync(
        IReadOnlyList<string> argv, string logFile, string workingDirectory, IReadOnlyDictionary<string, string?>? environment, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(time);
        if (argv.Count == 0)
        {
            throw new ArgumentException("argv needs at least the program", nameof(argv));
        }

        if (!Path.IsPathFullyQualified(logFile))
        {
            throw new ArgumentException($"the log must be an absolute path: {logFile}", nameof(logFile));
        }

        string program;
        try
        {
            program = ExecutableResolver.Resolve(argv[0], workingDirectory, Environment.GetEnvironmentVariable("PATH"));
        }
        catch (AgentStartException e)
        {
            throw new DetachedStartException(e.Message, e);
        }

        // Created here, 0600, so the shell's >> appends to it instead of creating it with the umask's mode.
        PrivateFiles.CreateDirectoryFor(logFile);
        try
        {
            PrivateFiles.Open(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not a file we can create (a folder in its place, say): the shell's own redirection reports it below.
        }
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["-f", "sh", "-c", Script, program, .. argv.Skip(1)])
        {
            psi.ArgumentList.Add(arg);
        }

        EnvironmentChanges.ApplyTo(psi, environment);

        psi.Environment[LogVariable] = logFile;

        cancellationToken.ThrowIfCancellationRequested();

        // Pipes this process inherited (a harness's, a terminal multiplexer's) must not reach a process that lives for hours.
        InheritedDescriptors.MarkCloseOnExec();
        using var setsid = new Process { StartInfo = psi };
        try
        {
            setsid.Start();
        }
        catch (Win32Exception e)
        {
            throw new DetachedStartException($"setsid (util-linux) is missing: {e.Message}. Install it with: sudo apt-get install util-linux", e);
        }

        setsid.StandardInput.Close();

        // Not cancellable once started: the process may already run, and the caller must hear that it did.
        using var deadline = new CancellationTokenSource(HandOverTimeout, time);
        var stdout = setsid.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = setsid.StandardError.ReadToEndAsync(deadline.Token);
        string errors;
        try
        {
            await setsid.WaitForExitAsync(deadline.Token);
            errors = ((await stdout) + (await stderr)).Trim();
        }
        catch (OperationCanceledException)
        {
            // Something kept the pipes open past the deadline. The process may be running: report it as started.
            return;
        }

        if (setsid.ExitCode != 0 || errors.Length > 0)
        {
            throw new DetachedStartException($"setsid exit {setsid.ExitCode}: {(errors.Length > 0 ? errors : "no message")}");
        }
    }
}
