using Fleet.Setup;
using Fleet.Spec;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Setup;

public class AgentCliPinsTests
{
    [Fact]
    public void The_embedded_pins_are_the_file_the_install_script_reads()
    {
        var file = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Fleet.Core", "Setup", "agent-clis.pins"));

        AgentCliPins.All.ShouldBe(AgentCliPins.Parse(file));
        AgentCliPins.All.Select(p => p.Executable).ShouldBe(["claude", "codex", "gemini"]);
        ProviderCatalog.TestedClaudeVersion.ShouldBe(AgentCliPins.All[0].Version);
        ProviderCatalog.TestedCodexVersion.ShouldBe(AgentCliPins.All[1].Version);
        File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "install-npm-tools.sh")).ShouldContain("src/Fleet.Core/Setup/agent-clis.pins");
    }

    [Theory]
    [InlineData("# only a comment\n\n", "")]
    [InlineData("@a/b 1.2.3 b\n", "@a/b@1.2.3=b")]
    [InlineData("  x\t0.10.0   y  \r\n# c\nz 2.0.0 zz", "x@0.10.0=y;z@2.0.0=zz")]
    public void A_pins_file_is_a_package_an_exact_version_and_a_command_a_line(string text, string expected)
    {
        string.Join(';', AgentCliPins.Parse(text).Select(p => $"{p.Spec}={p.Executable}")).ShouldBe(expected);
    }

    [Theory]
    [InlineData("@a/b 1.2.3\n", "line 1: expected")]
    [InlineData("# c\n@a/b ^1.2.3 b\n", "line 2: \"^1.2.3\" is not an exact version")]
    [InlineData("@a/b 1.2 b\n", "\"1.2\" is not an exact version")]
    [InlineData("@a/b latest b\n", "\"latest\" is not an exact version")]
    public void A_pin_that_is_not_exact_or_not_three_words_is_refused_with_its_line(string text, string message)
    {
        Should.Throw<FormatException>(() => AgentCliPins.Parse(text)).Message.ShouldContain(message);
    }
}
