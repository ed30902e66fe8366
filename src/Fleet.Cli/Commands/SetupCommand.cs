using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Setup;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet setup</c>: installs the pinned agent CLIs into the user's tools folder, where fleet finds them.</summary>
internal static class SetupCommand
{
    public static Command Create(ICliConsole console)
    {
        var json = CommandHelpers.JsonOption();
        var command = new Command(
            "setup",
            $"Install the agent CLIs fleet is tested with ({string.Join(", ", AgentCliPins.All.Select(p => p.Spec))}) with npm into your tools folder ($XDG_DATA_HOME/fleet/tools, default ~/.local/share/fleet/tools), where fleet finds them. Needs npm; running it again installs only what is missing.")
        {
            json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Progress goes to stderr, so --json leaves stdout to the JSON alone.
            var result = await new SetupAgentClis(CommandHelpers.Host(console)).RunAsync(AgentCliPins.All, line => console.Error.WriteLine($"fleet setup: {line}"), cancellationToken);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(
                    console,
                    new SetupJson(result.ToolsDir, result.Bin, result.Log, [.. result.Tools.Select(t => new SetupToolJson(t.Pin.Executable, t.Pin.Package, t.Pin.Version, t.Path, t.Installed))]),
                    CliJsonContext.Default.SetupJson);
            }
            else
            {
                await console.Out.WriteAsync(Render(result));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static string Render(SetupResult result)
    {
        var w = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var name = result.Tools.Max(t => t.Pin.Executable.Length);
        var version = result.Tools.Max(t => t.Pin.Version.Length);
        foreach (var tool in result.Tools)
        {
            w.WriteLine($"{tool.Pin.Executable.PadRight(name)}  {tool.Pin.Version.PadRight(version)}  {(tool.Installed ? "installed" : "already installed")}  {tool.Path}");
        }

        w.WriteLine($"fleet finds them in {result.Bin}; nothing needs to go on PATH.");
        return w.ToString();
    }
}
