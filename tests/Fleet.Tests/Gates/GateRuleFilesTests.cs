using Fleet.Gates;
using Fleet.Gates.Policy;
using Fleet.Tests.Infrastructure;
using Fleet.Validation;

namespace Fleet.Tests.Gates;

public sealed class GateRuleFilesTests : IDisposable
{
    private const string ValidFleet = """
        { "fleet_name": "f", "type": "dag", "gates": { "allow": ["Bash(npm test:*)"], "destructive": ["Bash(kubectl delete:*)"] },
          "workers": [ { "id": "a", "type": "code-run", "task": "t" } ] }
        """;

    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_validator_checks_the_repositorys_gates_file_with_its_own_name_and_positions()
    {
        Directory.CreateDirectory(_root.Combine(".fleet"));
        File.WriteAllText(_root.Combine(".fleet", "gates.json"), "{\n  \"allow\": [\"Bash\"],\n  \"deny\": [\"Bash(rm:* -rf)\"],\n  \"ask\": []\n}");

        var result = FleetValidator.Validate(ValidFleet, "fleet.json", _root.Path);

        result.IsValid.ShouldBeFalse();
        result.Errors.Select(e => e.ToString()).ShouldBe([
            ".fleet/gates.json:4:3: $.ask: unknown key \"ask\"",
            ".fleet/gates.json:3:12: $.deny[0]: \"Bash(rm:* -rf)\": \":*\" is a prefix wildcard and must end the pattern, as in Bash(npm test:*)"]);
    }

    [Fact]
    public void A_rule_for_a_tool_claude_does_not_have_is_a_warning()
    {
        var result = FleetValidator.Validate(ValidFleet.Replace("Bash(kubectl delete:*)", "Bsh(x)", StringComparison.Ordinal), "fleet.json", _root.Path);

        result.IsValid.ShouldBeTrue();
        result.Warnings.Single().Message.ShouldBe("\"Bsh\" is not a tool of claude 2.1.332; did you mean \"Bash\"?; the rule matches only a tool of exactly that name");
    }

    [Fact]
    public async Task Fleet_rules_come_first_then_the_repositorys()
    {
        Directory.CreateDirectory(_root.Combine(".fleet"));
        File.WriteAllText(_root.Combine(".fleet", "gates.json"), """{ "allow": ["Edit(src/**)"], "deny": ["WebFetch"] }""");
        var fleet = FleetValidator.Validate(ValidFleet, "fleet.json", _root.Path).Fleet!;

        var gates = fleet.Gates.Concat(await RepoGateRules.ReadAsync(_root.Path, Ct));

        gates.Allow.ShouldBe(["Bash(npm test:*)", "Edit(src/**)"]);
        gates.Deny.ShouldBe(["WebFetch"]);
        gates.Destructive.ShouldBe(["Bash(kubectl delete:*)"]);
    }

    [Fact]
    public async Task Run_rules_are_read_afresh_and_a_broken_file_allows_nothing()
    {
        var file = GatePaths.RunRules(_root.Combine(".fleet"));
        Directory.CreateDirectory(_root.Combine(".fleet"));

        (await GateRuleFiles.ReadRunAllowAsync(file, Ct)).ShouldBeEmpty();
        await File.WriteAllTextAsync(file, """{ "allow": ["Bash(make)", "not a rule"] }""", Ct);
        (await GateRuleFiles.ReadRunAllowAsync(file, Ct)).Select(r => r.Text).ShouldBe(["Bash(make)"]);
        await File.WriteAllTextAsync(file, """{ "allow": ["Bash(ma""", Ct);
        (await GateRuleFiles.ReadRunAllowAsync(file, Ct)).ShouldBeEmpty();
    }
}
