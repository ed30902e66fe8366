using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet say</c> and <c>fleet interrupt</c>: a person's voice into a running worker (<see cref="SteerWorker"/>).</summary>
internal static class SteerCommands
{
    public static Command Say(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var worker = new Argument<string>("WORKER") { Description = "The running worker to tell." };
        var message = new Argument<string[]>("MESSAGE") { Description = "What to tell its agent (the words are joined with spaces).", Arity = ArgumentArity.OneOrMore };
        var now = new Option<bool>("--now") { Description = "Interrupt the current turn first; the message is the agent's next turn (the agent is never restarted)." };
        var json = CommandHelpers.JsonOption();
        var command = new Command(
            "say",
            "Hand a message to a running worker's agent: claude takes it at its next tool boundary, or as the next turn. Exits 0 once the agent has it, 2 when the worker is not running.")
        {
            root, worker, message, now, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = string.Join(' ', parse.GetValue(message) ?? []);
            var result = await new SteerWorker(CommandHelpers.Host(console)).SayAsync(parse.GetValue(root)!, parse.GetValue(worker)!, text, parse.GetValue(now), cancellationToken);
            await WriteAsync(console, result, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Interrupt(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var worker = new Argument<string>("WORKER") { Description = "The running worker whose turn to stop." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("interrupt", "Stop a running worker's current turn only: its agent stays alive and waits for `fleet say`.") { root, worker, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = await new SteerWorker(CommandHelpers.Host(console)).InterruptAsync(parse.GetValue(root)!, parse.GetValue(worker)!, cancellationToken);
            await WriteAsync(console, result, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task WriteAsync(ICliConsole console, SteerWorkerResult result, bool json)
    {
        if (json)
        {
            await CommandHelpers.WriteJsonAsync(console, new SteerJson(result.Worker, result.Iteration, result.Action, result.HandedAt, result.Steers), RunJsonContext.Default.SteerJson);
            return;
        }

        var what = result.Action == SteerWorker.Interrupt ? "interrupted" : "has the message";
        await console.Out.WriteLineAsync($"{result.Worker} (iteration {result.Iteration}) {what}; steered {result.Steers}×");
    }
}
