using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet attach ROOT [WORKER]</c>: opens the fleet's tmux session (its workers' windows) on this terminal, or one
/// running worker, live, with its steering console (<see cref="AttachWorker"/>).
/// </summary>
internal static class AttachCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root (the folder holding fleet.json)." };
        var worker = new Argument<string?>("WORKER")
        {
            Description = "One running worker: its live view with an input line (a line tells its agent, as fleet say; a, A or d answers its waiting gate). Without a terminal, each line of stdin is such a line.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("attach", "Watch the workers' windows: attach to the fleet's tmux session (detach with the prefix key, then d); with WORKER, watch and steer that worker (Ctrl+C leaves; the worker goes on).") { root, worker };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = CommandHelpers.Validate(console, parse.GetValue(root)!);
            if (result.Fleet is not { } fleet)
            {
                await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
                throw new CliException($"{result.File}: not a valid fleet; cannot find its session");
            }

            var host = CommandHelpers.Host(console);
            if (parse.GetValue(worker) is not { } id)
            {
                return await new AttachFleet(host).RunAsync(fleet, console.Error.WriteLineAsync, cancellationToken);
            }

            await using var input = console.OpenInput();
            var io = new WorkerConsoleIo(input, console.IsInputTerminal, text => Write(console, text), CanQuit: true, CommandHelpers.UserName(console));
            return await new AttachWorker(host).RunAsync(fleet, id, io, console.Error.WriteLineAsync, cancellationToken);
        });
        return command;
    }

    private static void Write(ICliConsole console, string text)
    {
        console.Out.Write(text);
        console.Out.Flush();
    }
}
