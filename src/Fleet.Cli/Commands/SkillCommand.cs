using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Skills;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet skill install</c>: fleet's Claude Code skills, so a person can ask Claude Code to run a fleet.</summary>
internal static class SkillCommand
{
    public static Command Create(ICliConsole console)
    {
        var command = new Command("skill", "Claude Code skills that use fleet the right way: fleets, team mode, retro.");
        command.Subcommands.Add(Install(console));
        return command;
    }

    private static Command Install(ICliConsole console)
    {
        var json = CommandHelpers.JsonOption();
        var project = new Option<bool>("--project") { Description = "Write into this project's .claude/skills instead of your own (~/.claude/skills, or $CLAUDE_CONFIG_DIR/skills)." };
        var force = new Option<bool>("--force") { Description = $"Replace a SKILL.md you edited (yours is kept beside it as {ClaudeSkills.BackupFileName})." };
        var command = new Command(
            "install",
            $"Write fleet's skills ({string.Join(", ", ClaudeSkills.All.Select(s => s.Name))}) into Claude Code's skills folder. Running it again changes nothing; a SKILL.md you edited is kept unless --force.")
        {
            project, force, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = await new InstallSkills(CommandHelpers.Host(console)).RunAsync(parse.GetValue(project), parse.GetValue(force), cancellationToken);
            foreach (var kept in result.Skills.Where(s => s.Action == SkillAction.KeptEdited))
            {
                await console.Error.WriteLineAsync($"fleet: kept {kept.Path}: it was edited since fleet wrote it, so fleet's version was not written (--force replaces it and keeps yours as {ClaudeSkills.BackupFileName})");
            }

            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(
                    console,
                    new SkillInstallJson(result.Dir, [.. result.Skills.Select(s => new SkillJson(s.Name, s.Path, Word(s.Action)))]),
                    CliJsonContext.Default.SkillInstallJson);
            }
            else
            {
                await console.Out.WriteAsync(Render(result));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The action as people and scripts read it.</summary>
    internal static string Word(SkillAction action) => action switch
    {
        SkillAction.Installed => "installed",
        SkillAction.UpToDate => "up to date",
        SkillAction.Updated => "updated",
        SkillAction.KeptEdited => "kept (edited)",
        SkillAction.ReplacedEdited => "replaced (edited copy kept)",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    internal static string Render(SkillInstallResult result)
    {
        var w = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var name = result.Skills.Max(s => s.Name.Length);
        var word = result.Skills.Max(s => Word(s.Action).Length);
        foreach (var skill in result.Skills)
        {
            w.WriteLine($"{skill.Name.PadRight(name)}  {Word(skill.Action).PadRight(word)}  {skill.Path}");
        }

        w.WriteLine("Claude Code lists them in new sessions: ask it, e.g., to \"run these three tasks as an iterative fleet\".");
        return w.ToString();
    }
}
