using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Commands;
using Fleet.Cli.Hosting;
using Fleet.Paths;
using Fleet.UseCases;

namespace Fleet.Cli;

/// <summary>The command tree and the top-level error policy: usage errors exit 2, surprises exit 4 with a log file.</summary>
public static class FleetApp
{
    public static RootCommand BuildRootCommand(ICliConsole console)
    {
        var root = new RootCommand("fleet runs fleets of coding agents (claude -p, codex exec, or any command) as supervised workers.");
        root.Subcommands.Add(InitCommand.Create(console));
        root.Subcommands.Add(ValidateCommand.Create(console));
        root.Subcommands.Add(SchemaCommand.Create(console));
        root.Subcommands.Add(LaunchCommand.Create(console));
        root.Subcommands.Add(RunControlCommands.Status(console));
        root.Subcommands.Add(RunControlCommands.Ls(console));
        root.Subcommands.Add(RunControlCommands.Pause(console));
        root.Subcommands.Add(RunControlCommands.Resume(console));
        root.Subcommands.Add(RunControlCommands.Kill(console));
        root.Subcommands.Add(SteerCommands.Say(console));
        root.Subcommands.Add(SteerCommands.Interrupt(console));
        root.Subcommands.Add(InboxCommands.Inbox(console));
        root.Subcommands.Add(InboxCommands.Approve(console));
        root.Subcommands.Add(InboxCommands.Deny(console));
        root.Subcommands.Add(InboxCommands.Answer(console));
        root.Subcommands.Add(DashboardCommand.Create(console));
        root.Subcommands.Add(RehearseCommand.Create(console));
        root.Subcommands.Add(WorkerCommand.Create(console));
        root.Subcommands.Add(OrchestrateCommand.Create(console));
        root.Subcommands.Add(CleanCommand.Create(console));
        root.Subcommands.Add(AttachCommand.Create(console));
        root.Subcommands.Add(DoctorCommand.Create(console));
        root.Subcommands.Add(UsageCommand.Create(console));
        root.Subcommands.Add(TelemetryCommand.Create(console));
        root.Subcommands.Add(RetroCommand.Create(console));
        root.Subcommands.Add(TrendCommand.Create(console));
        root.Subcommands.Add(DoctrineCommand.Create(console));
        root.Subcommands.Add(TeamCommand.Create(console));
        root.Subcommands.Add(StatusLineCommand.Create(console));
        root.Subcommands.Add(SetupCommand.Create(console));
        root.Subcommands.Add(SkillCommand.Create(console));
        root.Subcommands.Add(CompletionCommand.Create(console, () => root));
        return root;
    }

    public static Task<int> RunAsync(string[] args, ICliConsole console, CancellationToken cancellationToken) =>
        RunAsync(args, console, BuildRootCommand, cancellationToken);

    /// <summary>Runs a command tree under fleet's error policy; tests pass their own tree to exercise it.</summary>
    public static async Task<int> RunAsync(string[] args, ICliConsole console, Func<ICliConsole, RootCommand> buildRootCommand, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(buildRootCommand);

        try
        {
            var root = buildRootCommand(console);
            var parseResult = root.Parse(args);
            if (UsageErrors.Of(parseResult) is { Count: > 0 } usageErrors)
            {
                foreach (var error in usageErrors)
                {
                    await console.Error.WriteLineAsync($"fleet: {error}");
                }

                await console.Error.WriteLineAsync($"Run '{UsageErrors.CommandLine(parseResult)} --help' for usage.");
                return ExitCodes.Usage;
            }

            var configuration = new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                EnableDefaultExceptionHandler = false,

                // On SIGINT/SIGTERM commands get time to stop agents gracefully and finish their records.
                ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
            };
            return await parseResult.InvokeAsync(configuration, cancellationToken);
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"fleet: {ex.Message}");
            return ex.ExitCode;
        }
        // The use cases' refusals and failures: shown like the CLI's own, with the exit code they carry.
        catch (FleetOperationException ex)
        {
            await console.Error.WriteLineAsync($"fleet: {ex.Message}");
            return ex.ExitCode;
        }
        // A file fleet was asked to read is not a regular file or not UTF-8: the person's input, never a crash.
        catch (InputFileException ex)
        {
            await console.Error.WriteLineAsync($"fleet: {ex.Message}");
            return ExitCodes.Usage;
        }
        // System.CommandLine turns SIGINT/SIGTERM into cancelling the command's own token: a cancellation that was
        // asked for (by a person or their supervisor) is reported as one, never as a crash.
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested || ex.CancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("fleet: cancelled");
            return ExitCodes.NeedsPerson;
        }
#pragma warning disable CA1031 // The last line of defence: no stack trace ever reaches the terminal.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var log = WriteCrashLog(console, args, ex);
            await console.Error.WriteLineAsync(log is null
                ? $"fleet: internal error: {ex.Message}"
                : $"fleet: internal error: {ex.Message} (details in {log})");
            return ExitCodes.Internal;
        }
    }

    private static string? WriteCrashLog(ICliConsole console, string[] args, Exception ex)
    {
        try
        {
            var dirs = new UserDirs(console.GetEnvironmentVariable);
            PrivateFiles.CreateDirectory(dirs.LogDir);
            var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            var path = Path.Combine(dirs.LogDir, $"fleet-{stamp}-{Environment.ProcessId}.log");
            PrivateFiles.WriteAllText(path, $"fleet {string.Join(' ', args)}\n{ex}\n");
            return path;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
