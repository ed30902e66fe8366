using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Scaffolding;
using Fleet.Spec;

namespace Fleet.Cli.Commands;

internal static class InitCommand
{
    public static Command Create(ICliConsole console)
    {
        var dir = new Argument<string>("DIR") { Description = "The folder to create the fleet in (created if missing)." };
        var type = new Option<string>("--type", "-t") { Description = "dag, iterative or worktree.", Required = true };
        type.AcceptOnlyFromAmong("dag", "iterative", "worktree");
        var provider = new Option<string>("--provider", "-p") { Description = "claude, codex, gemini or command.", DefaultValueFactory = _ => "claude" };
        provider.AcceptOnlyFromAmong("claude", "codex", "gemini", "command");
        var json = CommandHelpers.JsonOption();
        var command = new Command("init", "Scaffold a valid fleet with a brief per worker.") { dir, type, provider, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayDir = parse.GetValue(dir)!;
            var root = CommandHelpers.Resolve(console, displayDir);
            var fleetType = Enum.Parse<FleetType>(parse.GetValue(type)!, ignoreCase: true);
            var providerKind = Enum.Parse<Provider>(parse.GetValue(provider)!, ignoreCase: true);
            if (File.Exists(root))
            {
                throw new CliException($"{displayDir} is a file; give a folder for the new fleet");
            }

            if (File.Exists(Path.Combine(root, "fleet.json")))
            {
                throw new CliException($"{Path.Combine(displayDir, "fleet.json")} already exists; nothing was written (choose another folder, or edit it)");
            }

            var files = FleetTemplates.Create(fleetType, providerKind, FleetTemplates.NameFromFolder(root));
            var existing = files.Keys.Where(f => File.Exists(Path.Combine(root, f))).ToList();
            if (existing.Count > 0)
            {
                throw new CliException($"{string.Join(", ", existing.Select(f => Path.Combine(displayDir, f)))} already exist{(existing.Count == 1 ? "s" : "")}; nothing was written");
            }

            foreach (var (relative, content) in files)
            {
                var full = Path.Combine(root, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllTextAsync(full, content, cancellationToken);
            }

            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, new InitJson(root, fleetType.Name(), providerKind.Name(), [.. files.Keys]), CliJsonContext.Default.InitJson);
            }
            else
            {
                await console.Out.WriteLineAsync($"created {(fleetType == FleetType.Iterative ? "an" : "a")} {fleetType.Name()} fleet in {displayDir}:");
                foreach (var file in files.Keys)
                {
                    await console.Out.WriteLineAsync($"  {Path.Combine(displayDir, file)}");
                }

                await console.Out.WriteLineAsync($"next: edit the briefs, then: fleet validate {displayDir} && fleet launch {displayDir} --dry-run");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
