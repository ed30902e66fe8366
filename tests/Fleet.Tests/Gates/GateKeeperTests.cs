using Fleet.Gates.Policy;
using Fleet.Workers;

namespace Fleet.Tests.Gates;

/// <summary>One decision for a request that covers several files (a codex patch): every file must pass.</summary>
public class GateKeeperTests
{
    private static readonly GatePolicy Policy = GatePolicy.Parse(["Edit(src/**)"], ["Edit(secrets/**)"], []);

    [Theory]
    [InlineData(new[] { "src/a.cs" }, GateAction.Allow)]
    [InlineData(new[] { "src/a.cs", "src/b.cs" }, GateAction.Allow)]
    [InlineData(new[] { "src/a.cs", "docs/b.md" }, GateAction.Ask)]
    [InlineData(new[] { "docs/b.md", "secrets/key" }, GateAction.Deny)]
    [InlineData(new[] { "secrets/key", "src/a.cs" }, GateAction.Deny)]
    public void A_patch_is_denied_if_any_file_is_asked_about_if_any_is_and_allowed_only_if_all_are(string[] files, GateAction expected)
    {
        var queries = files.Select(f => new GateQuery("Edit", new System.Text.Json.Nodes.JsonObject { ["file_path"] = f }, "/repo")).ToList();

        GateKeeper.Strictest(queries, q => Policy.Decide(q)).Action.ShouldBe(expected);
    }

    [Theory]
    [InlineData("touch out/a", true, GateAction.Allow, "sandbox")]
    [InlineData("touch out/a && echo done", true, GateAction.Allow, "sandbox")]
    [InlineData("touch out/a", false, GateAction.Ask, null)]
    [InlineData("git reset --hard", true, GateAction.Ask, "git reset --hard")]
    [InlineData("curl https://example.com", true, GateAction.Deny, "Bash(curl:*)")]
    [InlineData("echo $(whoami)", true, GateAction.Ask, null)]
    [InlineData("npm test", true, GateAction.Allow, "Bash(npm test:*)")]
    public void A_sandboxed_codex_command_no_rule_matches_is_allowed_and_every_rule_still_holds(string command, bool sandboxed, GateAction action, string? rule)
    {
        var policy = GatePolicy.Parse(["Bash(npm test:*)"], ["Bash(curl:*)"], []);

        var decision = policy.Decide(new GateQuery("Bash", new System.Text.Json.Nodes.JsonObject { ["command"] = command }, "/repo"), null, sandboxed ? Unasked.CodexSandbox : null);

        (decision.Action, decision.Rule).ShouldBe((action, rule));
    }
}
