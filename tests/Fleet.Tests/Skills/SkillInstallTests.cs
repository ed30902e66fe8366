using System.Text.Json;
using Fleet.Skills;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Skills;

public sealed class SkillInstallTests : IDisposable
{
    private readonly TempDir _dir = new("fleet-skills-");

    public void Dispose() => _dir.Dispose();

    private string Home => _dir.Combine("home");

    private string UserSkills => Path.Combine(Home, ".claude", "skills");

    [Theory]
    [InlineData(null, null, false, SkillAction.Installed)]
    [InlineData("shipped", null, false, SkillAction.UpToDate)]
    [InlineData("shipped", "stale-hash", true, SkillAction.UpToDate)]
    [InlineData("older fleet text", "older fleet text", false, SkillAction.Updated)]
    [InlineData("older fleet text", "older fleet text", true, SkillAction.Updated)]
    [InlineData("edited by a person", "older fleet text", false, SkillAction.KeptEdited)]
    [InlineData("someone else's skill", null, false, SkillAction.KeptEdited)]
    [InlineData("edited by a person", "older fleet text", true, SkillAction.ReplacedEdited)]
    public void Only_fleets_own_unedited_text_is_replaced_without_force(string? current, string? stampedText, bool force, SkillAction expected)
    {
        ClaudeSkills.Decide(current, stampedText is null ? null : stampedText == "stale-hash" ? "0badc0de" : ClaudeSkills.Hash(stampedText), "shipped", force).ShouldBe(expected);
    }

    [Fact]
    public void Each_skill_has_the_frontmatter_claude_code_reads_and_teaches_the_rules()
    {
        ClaudeSkills.All.Select(s => s.Name).ShouldBe(["fleet", "fleet-team", "fleet-retro"]);
        foreach (var skill in ClaudeSkills.All)
        {
            var lines = skill.Content.Split('\n');
            lines[0].ShouldBe("---");
            lines[1].ShouldBe($"name: {skill.Name}");
            lines[2].ShouldStartWith("description: ");
            lines[2].Length.ShouldBeLessThan(1024 + "description: ".Length);
            lines[3].ShouldBe("---");
            skill.Content.ShouldContain("fleet status");
            skill.Content.ShouldContain("Rationalizations to reject");
            skill.Content.ShouldContain("not stuck");
            skill.Content.ShouldContain("\"Mostly good\" is not lgtm");
            skill.Content.ShouldContain("relaunching");
        }

        var fleet = ClaudeSkills.All[0].Content;
        var order = new[] { "fleet init", "fleet validate", "--dry-run", "--rehearse", "**Launch.**", "**Tell the person the status command**" }.Select(s => fleet.IndexOf(s, StringComparison.Ordinal)).ToList();
        order.ShouldAllBe(i => i >= 0);
        order.ShouldBeInOrder();
        fleet.ShouldContain("**Never kill or restart a worker**");
    }

    [Fact]
    public async Task Skill_install_writes_each_skill_and_a_second_run_changes_nothing()
    {
        var (code, first) = await RunAsync("skill", "install");

        code.ShouldBe(0, first.Stderr);
        foreach (var skill in ClaudeSkills.All)
        {
            File.ReadAllText(Path.Combine(UserSkills, skill.Name, "SKILL.md")).ShouldBe(skill.Content);
        }

        first.Stdout.ShouldContain($"fleet        installed  {Path.Combine(UserSkills, "fleet", "SKILL.md")}");
        var written = File.GetLastWriteTimeUtc(Path.Combine(UserSkills, "fleet", "SKILL.md"));

        var (again, second) = await RunAsync("skill", "install", "--json");

        again.ShouldBe(0, second.Stderr);
        second.Stderr.ShouldBeEmpty();
        using var json = JsonDocument.Parse(second.Stdout);
        json.RootElement.GetProperty("dir").GetString().ShouldBe(UserSkills);
        json.RootElement.GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("action").GetString()).ShouldBe(["up to date", "up to date", "up to date"]);
        File.GetLastWriteTimeUtc(Path.Combine(UserSkills, "fleet", "SKILL.md")).ShouldBe(written);
    }

    [Fact]
    public async Task An_edited_skill_is_kept_and_said_so_and_force_replaces_it_keeping_the_edit_beside_it()
    {
        await RunAsync("skill", "install");
        var file = Path.Combine(UserSkills, "fleet-team", "SKILL.md");
        File.AppendAllText(file, "\nMy own rule: always use label ready.\n");
        var edited = File.ReadAllText(file);

        var (code, kept) = await RunAsync("skill", "install");

        code.ShouldBe(0);
        File.ReadAllText(file).ShouldBe(edited);
        kept.Stderr.ShouldBe($"fleet: kept {file}: it was edited since fleet wrote it, so fleet's version was not written (--force replaces it and keeps yours as SKILL.md.edited)\n");
        kept.Stdout.ShouldContain("fleet-team   kept (edited)");

        var (forcedCode, forced) = await RunAsync("skill", "install", "--force");

        forcedCode.ShouldBe(0, forced.Stderr);
        File.ReadAllText(file).ShouldBe(ClaudeSkills.All.Single(s => s.Name == "fleet-team").Content);
        File.ReadAllText(Path.Combine(UserSkills, "fleet-team", "SKILL.md.edited")).ShouldBe(edited);
        forced.Stdout.ShouldContain("fleet-team   replaced (edited copy kept)");
    }

    [Fact]
    public async Task A_skill_fleet_wrote_in_an_earlier_version_is_updated_without_asking()
    {
        var folder = Directory.CreateDirectory(Path.Combine(UserSkills, "fleet-retro")).FullName;
        const string older = "---\nname: fleet-retro\ndescription: an older text\n---\n";
        File.WriteAllText(Path.Combine(folder, "SKILL.md"), older);
        File.WriteAllText(Path.Combine(folder, ClaudeSkills.StampFileName), ClaudeSkills.Hash(older) + "\n");

        var (code, console) = await RunAsync("skill", "install");

        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldContain("fleet-retro  updated");
        File.ReadAllText(Path.Combine(folder, "SKILL.md")).ShouldBe(ClaudeSkills.All.Single(s => s.Name == "fleet-retro").Content);
    }

    [Fact]
    public async Task Project_skills_go_into_the_projects_claude_folder_and_user_skills_follow_claude_config_dir()
    {
        var (code, project) = await RunAsync("skill", "install", "--project");
        code.ShouldBe(0, project.Stderr);
        File.Exists(_dir.Combine(".claude", "skills", "fleet", "SKILL.md")).ShouldBeTrue();
        Directory.Exists(UserSkills).ShouldBeFalse();

        var config = _dir.Combine("claude-config");
        var (configCode, user) = await TestConsole.RunAsync(_dir.Path, new Dictionary<string, string> { ["HOME"] = Home, ["CLAUDE_CONFIG_DIR"] = config }, "skill", "install");
        configCode.ShouldBe(0, user.Stderr);
        File.Exists(Path.Combine(config, "skills", "fleet", "SKILL.md")).ShouldBeTrue();
    }

    private Task<(int ExitCode, TestConsole Console)> RunAsync(params string[] args) =>
        TestConsole.RunAsync(_dir.Path, new Dictionary<string, string> { ["HOME"] = Home }, args);
}
