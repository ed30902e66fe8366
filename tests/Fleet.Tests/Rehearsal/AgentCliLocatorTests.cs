using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

public class AgentCliLocatorTests
{
    private static string Executable(TempDir dir, string relativePath)
    {
        var exe = dir.Write(relativePath, "#!/bin/sh\necho 9.9.9\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        return exe;
    }

    [Fact]
    public void The_locator_finds_the_project_local_install_from_a_folder_below_the_repository()
    {
        using var repo = new TempDir();
        var exe = Executable(repo, ".tools/npm/node_modules/.bin/claude");
        var deep = Directory.CreateDirectory(repo.Combine("tests", "bin", "Debug")).FullName;

        AgentCliLocator.Find("claude", [deep], pathVariable: string.Empty, userBin: repo.Combine("none")).ShouldBe(exe);
    }

    [Fact]
    public void The_locator_finds_the_clis_fleet_setup_installed_in_the_users_tools_folder_before_path()
    {
        using var dir = new TempDir();
        var dirs = new UserDirs(name => name == "XDG_DATA_HOME" ? dir.Combine("data") : null);
        var installed = Executable(dir, "data/fleet/tools/node_modules/.bin/codex");
        Executable(dir, "path/codex");
        var elsewhere = Directory.CreateDirectory(dir.Combine("elsewhere")).FullName;

        AgentCliLocator.UserBin(dirs).ShouldBe(dir.Combine("data", "fleet", "tools", "node_modules", ".bin"));
        AgentCliLocator.Find("codex", [elsewhere], pathVariable: dir.Combine("path"), userBin: AgentCliLocator.UserBin(dirs)).ShouldBe(installed);
        AgentCliLocator.Find("claude", [elsewhere], pathVariable: dir.Combine("path"), userBin: AgentCliLocator.UserBin(dirs)).ShouldBeNull();
    }

    [Fact]
    public void A_missing_cli_is_an_error_that_names_fleet_setup_outside_a_source_checkout()
    {
        using var empty = new TempDir();

        var e = Should.Throw<AgentCliNotFoundException>(() => AgentCliLocator.Require("codex", [empty.Path], pathVariable: empty.Path, userBin: empty.Path));

        e.Message.ShouldContain("'codex' was not found");
        e.Message.ShouldEndWith("install the pinned agent CLIs with: fleet setup");
    }

    [Fact]
    public void Inside_a_source_checkout_the_install_hint_is_its_script()
    {
        AgentCliLocator.InstallCommand([RepoPaths.Docs]).ShouldBe("bash scripts/install-npm-tools.sh");
        using var empty = new TempDir();
        AgentCliLocator.InstallCommand([empty.Path]).ShouldBe("fleet setup");
    }

    [Theory]
    [InlineData(false, "fleet setup")]
    [InlineData(true, "bash scripts/install-npm-tools.sh")]
    public async Task Doctor_names_fleet_setup_for_a_missing_agent_cli_outside_the_source_checkout_and_the_script_inside(bool inCheckout, string install)
    {
        using var dir = new TempDir();
        var home = dir.Combine("home");
        string? Env(string name) => name switch { "PATH" => dir.Path, "FLEET_HOME" => home, _ => null };

        // In the checkout the repository's own .tools/npm may hold the CLIs, so the hint is read from the check itself.
        var diagnosis = await MachineDoctor.DiagnoseAsync(Env, [inCheckout ? RepoPaths.Docs : dir.Path], TimeProvider.System, TestContext.Current.CancellationToken).SlowTimeout();

        var claude = diagnosis.Tools.Single(t => t.Tool.Name == "claude");
        claude.Install.ShouldBe(install);
        if (!inCheckout)
        {
            claude.Tool.Found.ShouldBeFalse();
            Fleet.Cli.Commands.DoctorCommand.Render(diagnosis, []).ShouldContain("optional; install: fleet setup");
        }
    }
}
