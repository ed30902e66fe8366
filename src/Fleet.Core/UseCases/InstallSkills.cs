using Fleet.Skills;

namespace Fleet.UseCases;

/// <summary>One skill after <c>fleet skill install</c>: where its SKILL.md is and what was done to it.</summary>
public sealed record InstalledSkill(string Name, string Path, SkillAction Action);

/// <summary>What <c>fleet skill install</c> did: the skills folder and each skill.</summary>
public sealed record SkillInstallResult(string Dir, IReadOnlyList<InstalledSkill> Skills);

/// <summary>
/// <c>fleet skill install</c>: writes fleet's Claude Code skills (<see cref="ClaudeSkills"/>) into the user's skills
/// folder (<c>$CLAUDE_CONFIG_DIR/skills</c>, else <c>~/.claude/skills</c>) or the project's (<c>.claude/skills</c> in the
/// current folder). Running it again changes nothing; a SKILL.md a person edited is kept unless forced.
/// </summary>
public sealed class InstallSkills(FleetHost host)
{
    /// <summary>The skills folder Claude Code reads for this user, or for the project in the current folder.</summary>
    public string SkillsDir(bool project)
    {
        if (project)
        {
            return Path.Combine(host.CurrentDirectory, ".claude", "skills");
        }

        if (host.GetEnvironmentVariable("CLAUDE_CONFIG_DIR") is { Length: > 0 } config && Path.IsPathRooted(config))
        {
            return Path.Combine(config, "skills");
        }

        var home = host.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".claude", "skills");
    }

    public async Task<SkillInstallResult> RunAsync(bool project, bool force, CancellationToken cancellationToken)
    {
        var dir = SkillsDir(project);
        var results = new List<InstalledSkill>();
        foreach (var skill in ClaudeSkills.All)
        {
            var folder = Path.Combine(dir, skill.Name);
            var file = Path.Combine(folder, "SKILL.md");
            var stamp = Path.Combine(folder, ClaudeSkills.StampFileName);
            var current = await ReadOrNullAsync(file, cancellationToken);
            var action = ClaudeSkills.Decide(current, await ReadOrNullAsync(stamp, cancellationToken), skill.Content, force);
            if (action == SkillAction.ReplacedEdited)
            {
                File.Copy(file, Path.Combine(folder, ClaudeSkills.BackupFileName), overwrite: true);
            }

            if (action is SkillAction.Installed or SkillAction.Updated or SkillAction.ReplacedEdited)
            {
                Directory.CreateDirectory(folder);
                await File.WriteAllTextAsync(file, skill.Content, cancellationToken);
            }

            if (action != SkillAction.KeptEdited)
            {
                await File.WriteAllTextAsync(stamp, ClaudeSkills.Hash(skill.Content) + "\n", cancellationToken);
            }

            results.Add(new InstalledSkill(skill.Name, file, action));
        }

        return new SkillInstallResult(dir, results);
    }

    private static async Task<string?> ReadOrNullAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
