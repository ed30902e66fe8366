using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Spec;

namespace Fleet.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create(ICliConsole console)
    {
        var path = new Argument<string>("PATH") { Description = "A fleet root, or its fleet.json." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("validate", "Check a fleet: every problem at once, each with file, line:col and JSON path.") { path, json };
        command.SetAction(async (parse, _) =>
        {
            var result = CommandHelpers.Validate(console, parse.GetValue(path)!);
            var errors = result.Errors.Count();
            var warnings = result.Warnings.Count();
            await CommandHelpers.WriteDiagnosticsAsync(console, result.Diagnostics);
            if (parse.GetValue(json))
            {
                var fleet = result.Fleet is { } f ? new FleetSummaryJson(f.Name, f.Type.Name(), f.Workers.Count, f.Graph.Layers()) : null;
                await CommandHelpers.WriteJsonAsync(console, new ValidateJson(result.File, result.IsValid, errors, warnings, [.. result.Diagnostics.Select(CommandHelpers.ToJson)], fleet), CliJsonContext.Default.ValidateJson);
            }
            else if (result.Fleet is { } fleet)
            {
                var layers = fleet.Graph.Layers().Count;
                var warningText = warnings > 0 ? $", {CommandHelpers.Plural(warnings, "warning")}" : "";
                await console.Out.WriteLineAsync($"ok: {result.File}: {fleet.Type.Name()} fleet \"{fleet.Name}\", {CommandHelpers.Plural(fleet.Workers.Count, "worker")} in {CommandHelpers.Plural(layers, "layer")}{warningText}");
            }
            else
            {
                await console.Error.WriteLineAsync($"{result.File}: {CommandHelpers.Plural(errors, "error")}, {CommandHelpers.Plural(warnings, "warning")}");
            }

            return result.IsValid ? ExitCodes.Success : ExitCodes.Usage;
        });
        return command;
    }
}
