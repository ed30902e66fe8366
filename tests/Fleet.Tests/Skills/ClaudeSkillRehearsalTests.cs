using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Skills;

/// <summary>fleet's skills in the real claude (2.1.332) against the rehearsal endpoint: listed, invoked, and running fleet.</summary>
public sealed class ClaudeSkillRehearsalTests : IDisposable
{
    private const string Script = """
        { "rules": [
            { "worker": "person", "turns": [
                { "type": "tool_call", "name": "Skill", "input": { "skill": "fleet" } },
                { "type": "shell", "command": "fleet init my-fleet --type dag" },
                { "type": "shell", "command": "fleet validate my-fleet" },
                { "type": "text", "text": "The fleet is valid. Next: fleet launch my-fleet --dry-run." } ] } ] }
        """;

    // claude's turn starts fleet twice through Bash (a JIT start of the dll outside the native CI build): on a loaded
    // machine that outlasted the usual two minutes once in five runs.
    private static readonly TimeSpan AgentTurnBound = TimeSpan.FromMinutes(6);

    private readonly TempDir _dir = new("fleet-skill-claude-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Claude_lists_the_installed_fleet_skills_at_init_and_a_scripted_turn_runs_fleet_through_the_skill()
    {
        var claude = AgentCli.RequireOrSkip("claude");
        var work = Directory.CreateDirectory(_dir.Combine("work")).FullName;
        var home = _dir.Combine("home");
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, TestContext.Current.CancellationToken).DefaultTimeout();
        var env = RehearsalEnvironment.For(RehearsalProvider.Claude, server.BaseUrl, RehearsalKey.Create("demo", "person", 1).ToString(), _dir.Path);
        var config = env.Variables["CLAUDE_CONFIG_DIR"];

        var (installed, console) = await TestConsole.RunAsync(work, new Dictionary<string, string> { ["HOME"] = home, ["CLAUDE_CONFIG_DIR"] = config }, "skill", "install");
        installed.ShouldBe(0, console.Stderr);

        // The agent's Bash finds this build of fleet on its PATH, as a person's installed tool would be.
        var bin = Directory.CreateDirectory(_dir.Combine("bin")).FullName;
        var wrapper = _dir.Write("bin/fleet", $"#!/bin/sh\nexec {string.Join(' ', RepoPaths.FleetArgv.Select(a => $"'{a}'"))} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var path = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";

        var run = await AgentCli.RunAsync(
            claude,
            ["-p", "--output-format", "stream-json", "--verbose", "--model", "claude-sonnet-4-5", "--session-id", Guid.NewGuid().ToString(), "--allowedTools", "Bash(fleet:*)", "--", "Run these three tasks as a dag fleet."],
            work,
            env,
            home,
            new Dictionary<string, string> { ["PATH"] = path, ["FLEET_HOME"] = _dir.Combine("fleet-home") },
            AgentTurnBound);

        run.ExitCode.ShouldBe(0, run.ToString());
        var init = run.Events.First(e => e.GetProperty("type").GetString() == "system" && e.GetProperty("subtype").GetString() == "init");
        init.GetProperty("skills").EnumerateArray().Select(s => s.GetString()).ShouldContain("fleet");
        init.GetProperty("skills").EnumerateArray().Select(s => s.GetString()).ShouldContain("fleet-team");
        init.GetProperty("skills").EnumerateArray().Select(s => s.GetString()).ShouldContain("fleet-retro");

        var toolUses = Blocks(run, "assistant").Where(b => b.GetProperty("type").GetString() == "tool_use").ToList();
        toolUses.Select(t => t.GetProperty("name").GetString()).ShouldBe(["Skill", "Bash", "Bash"]);
        var results = Blocks(run, "user").Where(b => b.GetProperty("type").GetString() == "tool_result")
            .ToDictionary(b => b.GetProperty("tool_use_id").GetString()!, b => (Text: Text(b.GetProperty("content")), Error: b.TryGetProperty("is_error", out var e) && e.GetBoolean()));

        // claude loaded the skill: its body went into the conversation from the folder fleet wrote.
        results[toolUses[0].GetProperty("id").GetString()!].Text.ShouldBe("Launching skill: fleet");
        Blocks(run, "user").Where(b => b.GetProperty("type").GetString() == "text").Select(b => b.GetProperty("text").GetString()!)
            .ShouldContain(t => t.Contains($"Base directory for this skill: {Path.Combine(config, "skills", "fleet")}", StringComparison.Ordinal) && t.Contains("Rationalizations to reject", StringComparison.Ordinal));

        var created = results[toolUses[1].GetProperty("id").GetString()!];
        created.Error.ShouldBeFalse(created.Text);
        created.Text.ShouldContain("created a dag fleet in my-fleet");
        var validated = results[toolUses[2].GetProperty("id").GetString()!];
        validated.Error.ShouldBeFalse(validated.Text);
        validated.Text.ShouldBe("ok: my-fleet/fleet.json: dag fleet \"my-fleet\", 3 workers in 3 layers");
        File.Exists(Path.Combine(work, "my-fleet", "fleet.json")).ShouldBeTrue();
        run.Result.GetProperty("permission_denials").GetArrayLength().ShouldBe(0);
    }

    private static IEnumerable<JsonElement> Blocks(AgentRunResult run, string type) =>
        run.Events.Where(e => e.GetProperty("type").GetString() == type)
            .Select(e => e.GetProperty("message").GetProperty("content"))
            .Where(c => c.ValueKind == JsonValueKind.Array)
            .SelectMany(c => c.EnumerateArray());

    private static string Text(JsonElement content) => content.ValueKind == JsonValueKind.String
        ? content.GetString()!
        : string.Concat(content.EnumerateArray().Where(b => b.TryGetProperty("text", out _)).Select(b => b.GetProperty("text").GetString()));
}
