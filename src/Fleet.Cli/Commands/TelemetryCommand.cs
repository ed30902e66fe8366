using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Fleet.Cli.Hosting;
using Fleet.Paths;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet telemetry ingest [PATH…]</c> and <c>fleet telemetry schema</c>.</summary>
internal static class TelemetryCommand
{
    public static Command Create(ICliConsole console)
    {
        var command = new Command("telemetry", "The flight recorder: typed telemetry read from the agents' own transcripts.");
        command.Subcommands.Add(Ingest(console));
        command.Subcommands.Add(SchemaSubcommand(console));
        command.Subcommands.Add(TelemetryGatesCommand.Create(console));
        return command;
    }

    private static Command SchemaSubcommand(ICliConsole console)
    {
        var command = new Command("schema", "Print the JSON Schema of telemetry records (draft 2020-12).");
        command.SetAction(async (_, _) =>
        {
            await console.Out.WriteAsync(TelemetrySchema.ToJson());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Ingest(ICliConsole console)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Transcript files or folders. Default: the Claude and Codex data folders (CLAUDE_CONFIG_DIR, CODEX_HOME, ~/.claude, ~/.codex).", Arity = ArgumentArity.ZeroOrMore };
        var db = TelemetryCli.DbOption();
        var privacy = TelemetryCli.PrivacyOption();
        var json = CommandHelpers.JsonOption();
        var run = new Option<string?>("--run") { Description = "Tag every record with this fleet run id." };
        var fleet = new Option<string?>("--fleet") { Description = "Tag every record with this fleet name." };
        var worker = new Option<string?>("--worker") { Description = "Tag every record with this worker id." };
        var iteration = new Option<int?>("--iteration") { Description = "Tag every record with this iteration number." };
        var issue = new Option<string?>("--issue") { Description = "Tag every record with this issue." };
        var model = new Option<string?>("--model") { Description = "The model a codex exec --json log ran with (the stream does not name it)." };
        var command = new Command("ingest", "Read transcripts into the telemetry store, incrementally (only what was appended since the last ingest).")
        {
            paths, db, privacy, json, run, fleet, worker, iteration, issue, model,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new IngestOptions
            {
                Privacy = TelemetryCli.Privacy(parse.GetValue(privacy)),
                Tags = new RunTags(parse.GetValue(run), parse.GetValue(fleet), parse.GetValue(worker), parse.GetValue(iteration), parse.GetValue(issue)),
                Model = parse.GetValue(model),
            };
            var given = parse.GetValue(paths) ?? [];
            await using var store = await TelemetryCli.OpenAsync(console, parse.GetValue(db), cancellationToken);
            var report = await TelemetryCli.IngestAsync(console, store, given, options, cancellationToken);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, new IngestJson(store.Path, report.Files.Count, report.LinesRead, report.Records, report.ModelCalls, report.Malformed, report.Files), TelemetryCliJsonContext.Default.IngestJson);
            }
            else
            {
                await TelemetryCli.WriteIngestSummaryAsync(console.Out, store.Path, report);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>The <c>fleet telemetry ingest --json</c> shape.</summary>
public sealed record IngestJson(string Db, int Files, long LinesRead, long Records, long ModelCalls, long Malformed, IReadOnlyList<IngestFileReport> Sources);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(IngestJson))]
internal sealed partial class TelemetryCliJsonContext : JsonSerializerContext;

/// <summary>What <c>fleet telemetry</c> and <c>fleet usage</c> share.</summary>
internal static class TelemetryCli
{
    public static Option<string?> DbOption() => new("--db") { Description = "The telemetry store (SQLite). Default: <data dir>/telemetry.db (XDG_DATA_HOME/fleet, or FLEET_HOME)." };

    public static Option<string?> PrivacyOption() => new("--privacy") { Description = "What text to keep: metadata (default; no prompt, answer or tool-input text), redacted, full. Secrets are masked at every level." };

    public static PrivacyLevel Privacy(string? name) =>
        name is null ? PrivacyLevel.Metadata : PrivacyPolicy.Parse(name) ?? throw new CliException($"--privacy: '{name}' is not one of metadata, redacted, full");

    /// <summary>The store <c>--db</c> names, or the user's default store.</summary>
    public static string StorePath(ICliConsole console, string? db) =>
        db is null ? TelemetryStore.DefaultPath(new UserDirs(console.GetEnvironmentVariable)) : CommandHelpers.Resolve(console, db);

    public static async Task<TelemetryStore> OpenAsync(ICliConsole console, string? db, CancellationToken cancellationToken)
    {
        var path = StorePath(console, db);

        // A missing store is created; anything but a regular file (a folder, a FIFO, a dangling link) is the person's mistake.
        if (InputFiles.KindOf(path) is not (FileKind.Missing or FileKind.Regular) and var kind)
        {
            throw new CliException($"--db {db ?? path}: {path} is {InputFiles.Describe(kind)}, not a telemetry store file");
        }

        try
        {
            return await TelemetryStore.OpenAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new CliException($"{path}: cannot open the telemetry store: {e.Message}");
        }
    }

    /// <summary>The given paths, or the default Claude and Codex folders when none are given.</summary>
    public static IReadOnlyList<string> Paths(ICliConsole console, IReadOnlyList<string> given) =>
        given.Count > 0
            ? [.. given.Select(p => CommandHelpers.Resolve(console, p))]
            : [.. TranscriptDiscovery.ClaudeRoots(console.GetEnvironmentVariable), .. TranscriptDiscovery.CodexRoots(console.GetEnvironmentVariable), .. TranscriptDiscovery.GeminiRoots(console.GetEnvironmentVariable)];

    public static async Task<IngestReport> IngestAsync(ICliConsole console, TelemetryStore store, IReadOnlyList<string> given, IngestOptions options, CancellationToken cancellationToken)
    {
        var paths = Paths(console, given);
        try
        {
            return await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(paths, options, cancellationToken);
        }
        catch (FileNotFoundException e)
        {
            throw new CliException(e.Message);
        }
    }

    public static async Task WriteIngestSummaryAsync(TextWriter writer, string db, IngestReport report)
    {
        foreach (var file in report.Files.Where(f => f.Malformed > 0 || f.TruncatedTail || f.Skipped is not null || f.Reread))
        {
            var notes = new List<string>();
            if (file.Malformed > 0)
                notes.Add(CommandHelpers.Plural((int)file.Malformed, "malformed line"));
            if (file.TruncatedTail)
                notes.Add("cut-off last line (left for the next ingest)");
            if (file.Reread)
                notes.Add("replaced since the last ingest: read again");
            if (file.Skipped is { } why)
                notes.Add("skipped: " + why);
            await writer.WriteLineAsync($"{file.Path}: {string.Join("; ", notes)}");
        }

        await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"ingested {report.Files.Count} files into {db}: {report.LinesRead} lines, {report.Records} records, {report.ModelCalls} model calls, {report.Malformed} malformed lines"));
    }

    /// <summary>A date as ccusage takes it: YYYY-MM-DD or YYYYMMDD.</summary>
    public static DateOnly? Date(string option, string? text)
    {
        if (text is null)
            return null;
        string[] formats = ["yyyy-MM-dd", "yyyyMMdd"];
        return DateOnly.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new CliException($"{option}: '{text}' is not a date (YYYY-MM-DD or YYYYMMDD)");
    }

}
