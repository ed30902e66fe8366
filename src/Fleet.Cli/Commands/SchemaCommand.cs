using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Spec;

namespace Fleet.Cli.Commands;

internal static class SchemaCommand
{
    public static Command Create(ICliConsole console)
    {
        var command = new Command("schema", "Print the JSON Schema of fleet.json (draft 2020-12).");
        command.SetAction(async (_, _) =>
        {
            await console.Out.WriteAsync(FleetSchema.ToJson());
            return ExitCodes.Success;
        });
        return command;
    }
}
