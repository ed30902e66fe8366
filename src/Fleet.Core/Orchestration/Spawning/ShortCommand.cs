using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Fleet.Processes;

namespace Fleet.Orchestration.Spawning;

/// <summary>The outcome of a short command: its exit code and what it printed.</summary>
/// <param name="ExitCode">The exit code; -1 when it did not end before the deadline (it was killed), 127 when it could not start.</param>
/// <param name="Stdout">Everything it wrote to stdout.</param>
/// <param name="Stderr">Everything it wrote to stderr, or why it could not run.</param>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The first non-empty line of stdout, else of stderr; empty when neither has one.</summary>
    public string FirstLine =>
        FirstNonEmptyLine(Stdout) ?? FirstNonEmptyLine(Stderr) ?? string.Empty;

    private static string? FirstNonEmptyLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
}

/// <summary>A spawn could not start the worker; the message says why and what to do.</summary>
public sealed class WorkerSpawnException : Exception
{
    public WorkerSpawnException(string message)
        : base(message)
    {
    }

    public WorkerSpawnException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WorkerSpawnException()
    {
    }
}

/// <summary>
/// Runs a short-lived helper (tmux client commands, <c>X --version</c>): argv array, stdin closed, stdout and
/// stderr both read concurrently, a deadline after which the process is killed. Not for agents.
/// </summary>
internal static class ShortCommand
{
    public static async Task<CommandResult> RunAsync(
        string program,
        IEnumerable<string> args,
        TimeSpan timeout,
        TimeProvider timeProvider,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        EnvironmentChanges.ApplyTo(psi, environment);

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new CommandResult(127, string.Empty, $"cannot run {program}: {e.Message}");
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(linked.Token);
        var stderr = process.StandardError.ReadToEndAsync(linked.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
            return new CommandResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            TryKill(process);
            return new CommandResult(-1, string.Empty, $"{program} did not answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            throw;
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
    }
}
