using System.Security.Cryptography;
using System.Text;

namespace Fleet.Skills;

/// <summary>One skill fleet ships: its folder name (the skill's <c>name</c>) and its <c>SKILL.md</c>.</summary>
public sealed record ClaudeSkill(string Name, string Content);

/// <summary>What installing one skill does to the file already there.</summary>
public enum SkillAction
{
    /// <summary>No SKILL.md there: written.</summary>
    Installed,

    /// <summary>Already fleet's current text: nothing written.</summary>
    UpToDate,

    /// <summary>An earlier text fleet wrote, unedited: replaced with the current one.</summary>
    Updated,

    /// <summary>Edited since fleet wrote it (or not fleet's): left alone.</summary>
    KeptEdited,

    /// <summary>Edited, and <c>--force</c> asked: replaced, the edited one kept beside it.</summary>
    ReplacedEdited,
}

/// <summary>The Claude Code skills fleet ships (embedded), and the rule for writing them over what is there.</summary>
public static class ClaudeSkills
{
    /// <summary>Beside each SKILL.md: the SHA-256 of the text fleet wrote, so a later install can tell an edit from its own.</summary>
    public const string StampFileName = ".fleet-skill.sha256";

    /// <summary>Where an edited SKILL.md goes when <c>--force</c> replaces it.</summary>
    public const string BackupFileName = "SKILL.md.edited";

    /// <summary>The skills, in a stable order: fleets, team mode, retro.</summary>
    public static IReadOnlyList<ClaudeSkill> All { get; } = [Load("fleet"), Load("fleet-team"), Load("fleet-retro")];

    /// <summary>
    /// What to do with <paramref name="current"/> (null: no file) given the hash fleet recorded when it last wrote it
    /// (null: none). Fleet's own unedited text is replaced; anything else is a person's and is kept unless forced.
    /// </summary>
    public static SkillAction Decide(string? current, string? stampedHash, string shipped, bool force)
    {
        ArgumentNullException.ThrowIfNull(shipped);
        if (current is null)
        {
            return SkillAction.Installed;
        }

        if (current == shipped)
        {
            return SkillAction.UpToDate;
        }

        if (stampedHash is not null && string.Equals(stampedHash.Trim(), Hash(current), StringComparison.OrdinalIgnoreCase))
        {
            return SkillAction.Updated;
        }

        return force ? SkillAction.ReplacedEdited : SkillAction.KeptEdited;
    }

    /// <summary>The lowercase hex SHA-256 of a text's UTF-8 bytes.</summary>
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static ClaudeSkill Load(string name)
    {
        var resource = $"Fleet.Skills.{name}/SKILL.md";
        using var stream = typeof(ClaudeSkills).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{resource} is not in the binary");
        using var reader = new StreamReader(stream);

        // One line ending everywhere, so the text and its hash do not depend on the checkout's settings.
        return new ClaudeSkill(name, reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal));
    }
}
