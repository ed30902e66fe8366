using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Fleet.Processes;

/// <summary>The outcome of a short command: its exit code and what it printed.</summary>
/// <param name="ExitCode">The exit code; -1 when it did not end before the deadline (it was killed), 127 when it could not start.</param>
/// <param name="Stdout">Everything it wrote to stdout (empty when its lines were streamed).</param>
/// <param name="Stderr">Everything it wrote to stderr (empty when streamed), or why it could not run or was killed.</param>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>False when the program could not be started at all (missing, not executable, no such folder).</summary>
    public bool Started { get; init; } = true;

    /// <summary>True when the deadline passed and the command was killed.</summary>
    public bool TimedOut { get; init; }

    /// <summary>The first non-empty line of stdout, else of stderr; empty when neither has one.</summary>
    public string FirstLine =>
        FirstNonEmptyLine(Stdout) ?? FirstNonEmptyLine(Stderr) ?? string.Empty;

    private static string? FirstNonEmptyLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
}

/// <summary>
/// Runs one short-lived program (git, tmux client commands, gh, <c>X --version</c>), shaped after CliWrap: an argv
/// array (never a shell string), environment changes, a working folder, stdin closed or given a text, stdout and
/// stderr drained concurrently (a full pipe cannot deadlock us), and a deadline after which the process and its
/// descendants are killed. Immutable: each <c>With…</c> returns a new command. Not for agents, which run long and
/// lead process groups of their own (<see cref="AgentProcess"/>).
/// </summary>
public sealed record CommandRunner
{
    public CommandRunner(string program)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        Program = program;
    }

    /// <summary>The executable: a name looked up on PATH, or a path.</summary>
    public string Program { get; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The folder it runs in; null for ours.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Changes to our environment: a value sets a variable, null removes it.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> EnvironmentVariables { get; init; } = [];

    /// <summary>Written to stdin, which is then closed; null closes stdin at once.</summary>
    public string? StandardInput { get; init; }

    /// <summary>How long it may run before it is killed; null for no deadline but the caller's token.</summary>
    public TimeSpan? Timeout { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>A command for <paramref name="argv"/>: the program, then its arguments.</summary>
    public static CommandRunner For(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0)
        {
            throw new ArgumentException("an argv needs at least the program", nameof(argv));
        }

        return new CommandRunner(argv[0]) { Arguments = [.. argv.Skip(1)] };
    }

    public CommandRunner WithArguments(IEnumerable<string> arguments) => this with { Arguments = [.. arguments] };

    public CommandRunner WithWorkingDirectory(string? workingDirectory) => this with { WorkingDirectory = workingDirectory };

    public CommandRunner WithEnvironment(IEnumerable<KeyValuePair<string, string?>>? changes) =>
        this with { EnvironmentVariables = [.. EnvironmentVariables, .. changes ?? []] };

    public CommandRunner WithStandardInput(string? text) => this with { StandardInput = text };

    public CommandRunner WithTimeout(TimeSpan? timeout, TimeProvider? timeProvider = null) =>
        this with { Timeout = timeout, TimeProvider = timeProvider ?? TimeProvider };

    /// <summary>
    /// Runs the command to its end and returns its exit code and everything it printed. It never throws for the
    /// program's own failures: one that cannot start gives exit 127 (<see cref="CommandResult.Started"/> false), one
    /// past the deadline is killed and gives exit -1 (<see cref="CommandResult.TimedOut"/>). Cancelling
    /// <paramref name="cancellationToken"/> kills it and throws.
    /// </summary>
    public Task<CommandResult> ExecuteBufferedAsync(CancellationToken cancellationToken) =>
        RunAsync(static reader => reader.ReadToEndAsync(CancellationToken.None), static reader => reader.ReadToEndAsync(CancellationToken.None), cancellationToken);

    /// <summary>
    /// Runs the command to its end, handing each line of stdout and of stderr to its callback as it arrives (a null
    /// callback drains and drops that stream). The result carries the exit code; its texts are empty unless it could
    /// not start or was killed, as for <see cref="ExecuteBufferedAsync"/>.
    /// </summary>
    public Task<CommandResult> ExecuteStreamedAsync(Action<string>? onStdoutLine, Action<string>? onStderrLine, CancellationToken cancellationToken) =>
        RunAsync(reader => PumpLinesAsync(reader, onStdoutLine), reader => PumpLinesAsync(reader, onStderrLine), cancellationToken);

    private async Task<CommandResult> RunAsync(Func<StreamReader, Task<string>> drainStdout, Func<StreamReader, Task<string>> drainStderr, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var process = new Process { StartInfo = StartInfo() };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new CommandResult(127, string.Empty, $"cannot run {Program}: {e.Message}") { Started = false };
        }

        var stdout = drainStdout(process.StandardOutput);
        var stderr = drainStderr(process.StandardError);
        using var deadline = new CancellationTokenSource(Timeout ?? System.Threading.Timeout.InfiniteTimeSpan, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var stdin = WriteStandardInputAsync(process);
        try
        {
            await process.WaitForExitAsync(linked.Token);
            await stdin;

            // A descendant that outlives it may hold the pipes open; the deadline bounds that wait too.
            return new CommandResult(process.ExitCode, await stdout.WaitAsync(linked.Token), await stderr.WaitAsync(linked.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            KillTree(process);
            var seconds = Timeout.GetValueOrDefault().TotalSeconds.ToString("0.#", CultureInfo.CurrentCulture);
            return new CommandResult(-1, string.Empty, $"{Program} did not answer within {seconds} s") { TimedOut = true };
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            throw;
        }
    }

    private ProcessStartInfo StartInfo()
    {
        var psi = new ProcessStartInfo(Program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        if (WorkingDirectory is not null)
        {
            psi.WorkingDirectory = WorkingDirectory;
        }

        foreach (var argument in Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        EnvironmentChanges.ApplyTo(psi, EnvironmentVariables);
        return psi;
    }

    // Not awaited before the exit: a program that never reads a long stdin must still meet its deadline.
    private async Task WriteStandardInputAsync(Process process)
    {
        try
        {
            if (StandardInput is not null)
            {
                await process.StandardInput.WriteAsync(StandardInput);
                await process.StandardInput.FlushAsync(CancellationToken.None);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It closed its stdin without reading all of it (EPIPE); its exit code says the rest.
        }
        catch (ObjectDisposedException)
        {
            // It was killed at the deadline and disposed while we were still writing.
        }
    }

    private static async Task<string> PumpLinesAsync(StreamReader reader, Action<string>? onLine)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            onLine?.Invoke(line);
        }

        return string.Empty;
    }

    private static void KillTree(Process process)
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
