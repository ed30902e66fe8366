using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Retro;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet retro ROOT [--run ID] [--format md|json] [--out FILE]</c>: the engagement log of a run, with each gate's class and recommendation.</summary>
internal static class RetroCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var run = new Option<string?>("--run") { Description = "The run (default: the latest in the journal)." };
        var format = new Option<string>("--format") { Description = "md (default) or json.", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json");
        var output = new Option<string?>("--out") { Description = "Write the report to FILE instead of stdout." };
        var stall = new Option<int>("--stall-after") { Description = "Seconds a worker may wait on a person before it counts as a stall (default 300).", DefaultValueFactory = _ => 300 };
        var command = new Command("retro", "The engagement log of a run: iterations to approval, verdicts, rework, stalls, every gate classified with a recommendation.") { root, run, format, output, stall };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var full = CommandHelpers.Resolve(console, parse.GetValue(root)!);
            if (!Directory.Exists(full))
            {
                throw new CliException($"{parse.GetValue(root)}: no such folder");
            }

            Retrospective report;
            try
            {
                report = RetroReport.Build(full, parse.GetValue(run), TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(stall))));
            }
            catch (InvalidOperationException e)
            {
                throw new CliException(e.Message);
            }

            var text = parse.GetValue(format) == "json"
                ? CommandHelpers.Json(report, RetroJsonContext.Default.Retrospective) + "\n"
                : RetroReport.Markdown(report);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(CommandHelpers.Resolve(console, file), text, cancellationToken);
                await console.Error.WriteLineAsync($"wrote {file}");
            }
            else
            {
                await console.Out.WriteAsync(text);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
