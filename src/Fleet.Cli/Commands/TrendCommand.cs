using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Trend;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet trend ROOT... [--json] [--html FILE]</c>: every run of one or more fleet roots, reduced from its
/// retrospective, as a table, JSON or an offline HTML page. Several roots put the memory experiment's arms, each run on
/// a fresh copy, side by side.
/// </summary>
internal static class TrendCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string[]>("ROOT") { Description = "The fleet root; several roots (say, one copy per arm of the memory experiment) give one trend, in the order the runs started.", Arity = ArgumentArity.OneOrMore };
        var json = CommandHelpers.JsonOption();
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML page with SVG charts to FILE (renders offline)." };
        var command = new Command("trend", "Per run: interventions per worker, cost per worker, iterations to approval, gates by class.") { root, json, html };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var fulls = new List<string>();
            foreach (var given in parse.GetValue(root)!)
            {
                var full = CommandHelpers.Resolve(console, given);
                fulls.Add(Directory.Exists(full) ? full : throw new CliException($"{given}: no such folder"));
            }

            IReadOnlyList<TrendRow> rows;
            try
            {
                rows = fulls.Count == 1
                    ? TrendReport.Build(fulls[0], TimeSpan.FromMinutes(5))
                    : [.. fulls.SelectMany(f => TrendReport.Build(f, TimeSpan.FromMinutes(5))).OrderBy(r => r.StartedAt)];
            }
            catch (InvalidOperationException e)
            {
                throw new CliException(e.Message);
            }

            if (parse.GetValue(html) is { } file)
            {
                await File.WriteAllTextAsync(CommandHelpers.Resolve(console, file), TrendHtml.Render(rows, $"Fleet trend: {rows.LastOrDefault(r => r.Fleet is not null)?.Fleet ?? Path.GetFileName(fulls[^1])}"), cancellationToken);
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
