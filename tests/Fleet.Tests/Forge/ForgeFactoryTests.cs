using System.Text.Json;
using Fleet.Forge;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Forge;

public sealed class ForgeFactoryTests
{
    [Fact]
    public void A_local_forge_path_is_taken_from_the_repository_when_relative()
    {
        using var dir = new TempDir();

        var forge = ForgeFactory.Open(ForgeSettings.Parse("local", "backlog"), dir.Path).ShouldBeOfType<LocalForge>();

        (forge.ForgeDir, forge.RepositoryDir, forge.Description).ShouldBe((dir.Combine("backlog"), dir.Path, $"local forge {dir.Combine("backlog")}"));
    }

    [Fact]
    public async Task A_github_forge_runs_the_gh_it_is_given_in_the_repository()
    {
        using var gh = new FakeGhInstall();
        using var dir = new TempDir();
        var forge = ForgeFactory.Open(new ForgeSettings(ForgeKind.GitHub, Path.Combine(gh.BinDir, "gh")), dir.Path).ShouldBeOfType<GhForge>();
        forge.Description.ShouldBe($"GitHub (gh) in {dir.Path}");

        // The factory gives gh no FAKE_GH_STATE, so the fake answers auth status from its defaults, and logs nothing.
        (await forge.CheckAsync(TestContext.Current.CancellationToken).DefaultTimeout()).Message.ShouldBe("gh is authenticated (Logged in to github.com account fleet-bot (keyring))");
    }

    [Fact]
    public void Settings_name_the_choices_when_the_kind_is_unknown_or_a_local_forge_has_no_path()
    {
        Should.Throw<ForgeException>(() => ForgeSettings.Parse("gitlab")).Message.ShouldBe("unknown forge kind 'gitlab': use github or local");
        Should.Throw<ForgeException>(() => ForgeFactory.Open(new ForgeSettings(ForgeKind.Local), "/tmp")).Message
            .ShouldBe("a local forge needs the path of its folder (issues/ and pulls/ live there)");
    }

    [Fact]
    public void Forge_kinds_are_written_in_json_as_people_write_them()
    {
        JsonSerializer.Serialize(ForgeKind.GitHub).ShouldBe("\"github\"");
        JsonSerializer.Deserialize<ForgeKind>("\"local\"").ShouldBe(ForgeKind.Local);
    }
}
