using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Fleet.Cli.Hosting;
using Fleet.Telemetry;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet telemetry gates [ROOT…]</c>: how often each worker needed a person (or a rule decided), and how long they waited.</summary>
internal static class TelemetryGatesCommand
{
    public static Command Create(ICliConsole console)
    {
        var roots = new Argument<string[]>("ROOT") { Description = "Fleet roots whose gates to record first (journal, inbox logs of the current and archived runs).", Arity = ArgumentArity.ZeroOrMore };
        var db = TelemetryCli.DbOption();
        var privacy = TelemetryCli.PrivacyOption();
        var run = new Option<string?>("--run") { Description = "Only this run's gates." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("gates", "Gates per worker: permission requests, questions, escalations, pauses, resumes, kills, prompt.md edits; who decided; the wait.") { roots, db, privacy, run, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = await TelemetryCli.OpenAsync(console, parse.GetValue(db), cancellationToken);
            var policy = new Fleet.Telemetry.Privacy.PrivacyPolicy(TelemetryCli.Privacy(parse.GetValue(privacy)));
            foreach (var root in parse.GetValue(roots) ?? [])
            {
                var full = CommandHelpers.Resolve(console, root);
                if (!Directory.Exists(full))
                {
                    throw new CliException($"{root}: no such folder");
                }

                await GateTelemetry.WriteAsync(store, GateTelemetry.ReadRoot(full, policy), cancellationToken);
            }

            var workers = await GateTelemetry.CountByWorkerAsync(store, parse.GetValue(run), cancellationToken);
            var kinds = await GateTelemetry.CountByKindAsync(store, parse.GetValue(run), cancellationToken);
            var report = new GatesReportJson(store.Path, parse.GetValue(run), workers.Sum(w => w.Gates), workers.Sum(w => w.ByPerson), workers.Sum(w => w.ByRule), workers.Sum(w => w.Pending),
                [.. workers.Select(w => new GateWorkerJson(w.Run, w.Fleet, w.Worker, w.Gates, w.ByPerson, w.ByRule, w.Pending, Math.Round(w.WaitedSeconds, 3)))],
                [.. kinds.Select(k => new GateKindJson(k.Kind, k.Gates))]);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, report, TelemetryGatesJsonContext.Default.GatesReportJson);
                return ExitCodes.Success;
            }

            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{CommandHelpers.Plural((int)report.Gates, "gate")}: {report.ByPerson} decided by a person, {report.ByRule} by a rule, {report.Pending} pending"));
            foreach (var w in report.Workers)
            {
                await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {w.Run ?? "-"}  {w.Fleet ?? "-"}/{w.Worker ?? "(run)"}: {w.Gates} ({w.ByPerson} person, {w.ByRule} rule), waited {w.WaitedSeconds:0.#}s"));
            }

            if (report.Kinds.Count > 0)
            {
                await console.Out.WriteLineAsync("  by kind: " + string.Join(", ", report.Kinds.Select(k => $"{k.Kind} {k.Gates}")));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}

public sealed record GateWorkerJson(string? Run, string? Fleet, string? Worker, long Gates, long ByPerson, long ByRule, long Pending, double WaitedSeconds);

public sealed record GateKindJson(string Kind, long Gates);

/// <summary>The <c>fleet telemetry gates --json</c> shape; a null worker is the run's own gates (pauses, resumes, escalations, kill all).</summary>
public sealed record GatesReportJson(string Db, string? Run, long Gates, long ByPerson, long ByRule, long Pending, IReadOnlyList<GateWorkerJson> Workers, IReadOnlyList<GateKindJson> Kinds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(GatesReportJson))]
internal sealed partial class TelemetryGatesJsonContext : JsonSerializerContext;
