using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Processes;
using Fleet.UseCases;
using Fleet.Workers;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet worker --spec FILE</c>: the worker shim, started by the orchestrator (internal). It runs one agent
/// to its end, records its stream and outcome in the iteration folder, and shows a readable view on stdout.
/// Linked to its orchestrator (the spec's <c>link_name</c>), it then runs the workers the orchestrator hands it.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create(ICliConsole console)
    {
        var spec = new Option<string>("--spec") { Description = "The worker launch spec (JSON) the orchestrator wrote.", Required = true };
        var command = new Command("worker", "Internal: run one worker's agent and record its outcome (started by the orchestrator).") { spec };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = CommandHelpers.Resolve(console, parse.GetValue(spec)!);
            WorkerLaunchSpec launch;
            try
            {
                launch = await WorkerLaunchSpec.ReadAsync(path, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException or InvalidDataException)
            {
                throw new CliException($"{path}: cannot read the worker spec: {ex.Message}");
            }

            // Orphans of the agent reparent to this process, not to init, so fleet kill finds them under it and they are
            // reaped here. Only a process started as the shim does this: its only children the runtime waits for are its
            // agents. A host that runs the command in-process (the tests) has children of its own that the runtime must reap.
            if (StartedAsShim())
            {
                OrphanReaper.TryEnable();
            }

            using var keyboard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var steering = Steerable(console, launch) ? SteerFromWindowAsync(console, launch, keyboard.Token) : Task.CompletedTask;
            try
            {
                var record = await WorkerShimHost.RunAsync(launch, console.Out, cancellationToken);
                return record.Outcome == WorkerOutcome.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("already exists", StringComparison.Ordinal))
            {
                // A (worker, iteration) runs once: a second start is refused, and the first record stays.
                throw new CliException(ex.Message);
            }
            finally
            {
                await keyboard.CancelAsync();
                await steering;
            }
        });
        return command;
    }

    /// <summary>
    /// A shim whose stdin is a terminal runs in a tmux window: a claude or codex agent there can be steered from the
    /// window's keyboard. Background shims read /dev/null.
    /// </summary>
    private static bool Steerable(ICliConsole console, WorkerLaunchSpec launch) =>
        console.IsInputTerminal && (launch.PromptOnStdin is not null || launch.CodexSession is not null || launch.GeminiSession is not null);

    /// <summary>The window's steering console, for the first worker only (a window is named after one worker); its failure never reaches the run.</summary>
    private static async Task SteerFromWindowAsync(ICliConsole console, WorkerLaunchSpec launch, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var root = Path.GetDirectoryName(Path.GetDirectoryName(launch.IterationDir))!;
        try
        {
            await using var input = console.OpenInput();
            var io = new WorkerConsoleIo(input, IsTerminal: true, text => Write(console, text), CanQuit: false, CommandHelpers.UserName(console));
            await new WorkerConsole(CommandHelpers.Host(console)).RunAsync(root, launch.Worker, launch.Iteration, io, cancellationToken);
        }
#pragma warning disable CA1031 // The keyboard is a convenience; the worker's run and its record are not.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Write(console, $"[fleet] this window's keyboard stopped ({e.Message}); fleet say and fleet approve still work\n");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Write(ICliConsole console, string text)
    {
        try
        {
            console.Out.Write(text);
            console.Out.Flush();
        }
        catch (IOException)
        {
            // The window is gone; the view is switched off the same way.
        }
    }

    /// <summary>True when this process was started as <c>fleet worker</c> (native, or <c>dotnet fleet.dll worker</c>).</summary>
    private static bool StartedAsShim()
    {
        var args = Environment.GetCommandLineArgs();
        return args.Length > 1 && args[1] == "worker";
    }
}
