using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Trend;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet trend ROOT [--json] [--html FILE]</c>: every run of a fleet root, reduced from its retrospective, as a table, JSON or an offline HTML page.</summary>
internal static class TrendCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var json = CommandHelpers.JsonOption();
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML page with SVG charts to FILE (renders offline)." };
        var command = new Command("trend", "Per run: interventions per worker, cost per worker, iterations to approval, gates by class.") { root, json, html };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var full = CommandHelpers.Resolve(console, parse.GetValue(root)!);
            if (!Directory.Exists(full))
            {
                throw new CliException($"{parse.GetValue(root)}: no such folder");
            }

            IReadOnlyList<TrendRow> rows;
            try
            {
                rows = TrendReport.Build(full, TimeSpan.FromMinutes(5));
            }
            catch (InvalidOperationException e)
            {
                throw new CliException(e.Message);
            }

            if (parse.GetValue(html) is { } file)
            {
                await File.WriteAllTextAsync(CommandHelpers.Resolve(console, file), TrendHtml.Render(rows, $"Fleet trend: {rows.LastOrDefault(r => r.Fleet is not null)?.Fleet ?? Path.GetFileName(full)}"), cancellationToken);
                await console.Error.WriteLineAsync($"wrote {file}");
            }

            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, rows, TrendJsonContext.Default.IReadOnlyListTrendRow);
            }
            else
            {
                await HumanOutput.WriteAsync(console, TrendReport.Human(rows));
                await console.Out.WriteAsync(TrendReport.Arms(rows));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
