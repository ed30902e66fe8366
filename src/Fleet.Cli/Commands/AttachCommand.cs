using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet attach ROOT</c>: opens the fleet's tmux session (its workers' windows) on this terminal.</summary>
internal static class AttachCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root (the folder holding fleet.json)." };
        var command = new Command("attach", "Watch the workers' windows: attach to the fleet's tmux session (detach with the prefix key, then d).") { root };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = CommandHelpers.Validate(console, parse.GetValue(root)!);
            if (result.Fleet is not { } fleet)
            {
                await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
                throw new CliException($"{result.File}: not a valid fleet; cannot find its session");
            }

            return await new AttachFleet(CommandHelpers.Host(console)).RunAsync(fleet, console.Error.WriteLineAsync, cancellationToken);
        });
        return command;
    }
}
