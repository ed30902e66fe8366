using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Pricing;
using Fleet.Telemetry;
using Fleet.Telemetry.Reports;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet usage</c>: tokens and cost over Claude and Codex transcripts, like <c>ccusage daily</c>.</summary>
internal static class UsageCommand
{
    public static Command Create(ICliConsole console)
    {
        var by = new Option<string>("--by") { Description = "Group by day (UTC), model, session, project (the session's working folder, or the fleet root), fleet, worker, or block (five-hour windows, with burn rate and the active one's projection).", DefaultValueFactory = _ => "day" };
        by.AcceptOnlyFromAmong("day", "model", "session", "project", "fleet", "worker", "block");
        var includeRehearsal = new Option<bool>("--include-rehearsal") { Description = "Count rehearsal runs' usage too (fleet's scripted endpoint: no spend, left out by default)." };
        var since = new Option<string?>("--since") { Description = "Only usage on or after this day (YYYY-MM-DD or YYYYMMDD, UTC)." };
        var until = new Option<string?>("--until") { Description = "Only usage on or before this day (inclusive)." };
        var json = CommandHelpers.JsonOption();
        var db = TelemetryCli.DbOption();
        var prices = new Option<string?>("--prices") { Description = "A price file that adds or replaces models of the embedded, dated table (USD per 1M tokens)." };
        var paths = new Option<string[]>("--path") { Description = "Transcript files or folders to ingest first, instead of the Claude and Codex data folders.", AllowMultipleArgumentsPerToken = true };
        var noIngest = new Option<bool>("--no-ingest") { Description = "Report from the store as it is; read no transcripts." };
        var privacy = TelemetryCli.PrivacyOption();
        var command = new Command("usage", "Tokens by kind and cost per model, from the agents' own transcripts (ingested into the telemetry store first).")
        {
            by, since, until, json, db, prices, paths, noIngest, privacy, includeRehearsal,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var grouping = Enum.Parse<UsageGrouping>(parse.GetValue(by)!, ignoreCase: true);
            var from = TelemetryCli.Date("--since", parse.GetValue(since));
            var to = TelemetryCli.Date("--until", parse.GetValue(until));
            var priceFile = parse.GetValue(prices) is { } p ? CommandHelpers.Resolve(console, p) : null;
            PriceTable table;
            try
            {
                table = PriceTable.Load(priceFile);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--prices: {e.Message}");
            }

            await using var store = await TelemetryCli.OpenAsync(console, parse.GetValue(db), cancellationToken);
            if (!parse.GetValue(noIngest))
            {
                var options = new IngestOptions { Privacy = TelemetryCli.Privacy(parse.GetValue(privacy)) };
                var ingested = await TelemetryCli.IngestAsync(console, store, parse.GetValue(paths) ?? [], options, cancellationToken);
                var human = parse.GetValue(json) ? console.Error : console.Out;
                if (ingested.Malformed > 0 || ingested.Files.Any(f => f.TruncatedTail))
                    await TelemetryCli.WriteIngestSummaryAsync(console.Error, store.Path, ingested);
                else if (!parse.GetValue(json))
                    await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"ingested {ingested.Files.Count} files ({ingested.ModelCalls} new model calls) into {store.Path}"));
            }

            var report = await UsageReport.BuildAsync(store, grouping, from, to, table, cancellationToken, parse.GetValue(includeRehearsal), DateTimeOffset.UtcNow);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, report, UsageJsonContext.Default.UsageReportJson);
            }
            else
            {
                await HumanOutput.WriteAsync(console, grouping == UsageGrouping.Block ? UsageBlocks.Human(report) : UsageTable.Of(report));
                if (report.UnpricedModels.Count > 0)
                    await console.Error.WriteLineAsync($"no price for {string.Join(", ", report.UnpricedModels)}: their cost is left out (add them with --prices FILE)");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
