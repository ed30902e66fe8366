using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

public class AgentCliLocatorTests
{
    [Fact]
    public void The_locator_finds_the_project_local_install_from_a_folder_below_the_repository()
    {
        using var repo = new TempDir();
        var exe = repo.Write(".tools/npm/node_modules/.bin/claude", "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        var deep = Directory.CreateDirectory(repo.Combine("tests", "bin", "Debug")).FullName;

        AgentCliLocator.Find("claude", [deep], pathVariable: string.Empty).ShouldBe(exe);
    }

    [Fact]
    public void A_missing_cli_is_an_error_that_names_the_install_command()
    {
        using var empty = new TempDir();

        var e = Should.Throw<AgentCliNotFoundException>(() => AgentCliLocator.Require("codex", [empty.Path], pathVariable: empty.Path));

        e.Message.ShouldContain("'codex' was not found");
        e.Message.ShouldContain("bash scripts/install-npm-tools.sh");
    }
}
