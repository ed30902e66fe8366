using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.StatusLine;
using Fleet.Telemetry.Store;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet statusline</c>: the command for Claude Code's <c>statusLine</c> setting. It reads the session's JSON on stdin
/// and prints one line: this session's cost, today's (from the telemetry store as it is: a status line must be fast,
/// so nothing is ingested), and the gates waiting in the fleets this user launched.
/// </summary>
internal static class StatusLineCommand
{
    public static Command Create(ICliConsole console)
    {
        var json = CommandHelpers.JsonOption();
        var db = TelemetryCli.DbOption();
        var command = new Command(
            "statusline",
            "One line for Claude Code's statusLine setting (reads its JSON on stdin): this session's cost, today's, and the gates waiting in your fleets. settings.json: \"statusLine\": {\"type\": \"command\", \"command\": \"fleet statusline\"}.")
        {
            json, db,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var input = console.IsInputTerminal ? string.Empty : await ReadInputAsync(console, cancellationToken);
            await using var store = await OpenStoreAsync(console, parse.GetValue(db), cancellationToken);
            var line = await new ReadStatusLine(CommandHelpers.Host(console)).ReadAsync(input, store, cancellationToken);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, new StatusLineJson(line.SessionId, line.SessionCostUsd, line.TodayCostUsd, [.. line.Waiting.Select(w => new WaitingFleetJson(w.Name, w.Gates))]), RunJsonContext.Default.StatusLineJson);
            }
            else
            {
                await console.Out.WriteLineAsync(StatusLineText.Render(line.SessionCostUsd, line.TodayCostUsd, line.Waiting));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Claude Code's JSON: a few KB, then stdin closes. Read to at most 1 MiB, so odd input cannot grow without end.</summary>
    private static async Task<string> ReadInputAsync(ICliConsole console, CancellationToken cancellationToken)
    {
        await using var input = console.OpenInput();
        var buffer = new byte[1 << 20];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await input.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += read;
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, filled);
    }

    /// <summary>The telemetry store when there is one; a status line never creates it.</summary>
    private static async Task<TelemetryStore?> OpenStoreAsync(ICliConsole console, string? db, CancellationToken cancellationToken) =>
        File.Exists(TelemetryCli.StorePath(console, db)) ? await TelemetryCli.OpenAsync(console, db, cancellationToken) : null;
}
