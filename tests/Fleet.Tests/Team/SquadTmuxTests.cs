using Fleet.Orchestration.Spawning;
using Fleet.State;
using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team;

/// <summary>A squad's tmux server: named after the repository, the run and the issue; closed when the squad's run ends.</summary>
public sealed class SquadTmuxTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/home/me/shop", "t-20261207-170000-ab12", 4, "shop-ab12-issue-4")]
    [InlineData("/home/me/Web App/", "t-20261207-170000-ab12", 31, "web-app-ab12-issue-31")]
    [InlineData("/srv/a-repository-with-a-very-long-name", "t-20261207-170000-ab12", 12345, "a-repository-wi-ab12-issue-12345")]
    [InlineData("/srv/__", "t-x-ff00", 7, "repo-ff00-issue-7")]
    public void A_squads_fleet_name_carries_the_repository_the_run_and_the_issue(string repository, string run, int issue, string expected)
    {
        var name = SquadTmux.FleetName(repository, run, issue);

        name.ShouldBe(expected);
        name.Length.ShouldBeLessThanOrEqualTo(FleetIdentity.MaxNameInTmux, "tmux names are cut there: the repository's part is shortened so the issue never is");
        System.Text.RegularExpressions.Regex.IsMatch(name, Fleet.Spec.Ids.Pattern).ShouldBeTrue(name);
    }

    [Fact]
    public void Two_repositories_with_the_same_issue_numbers_get_two_tmux_servers()
    {
        const string run = "t-20261207-170000-ab12";
        var first = SquadTmux.FleetName("/a/shop", run, 4);
        var second = SquadTmux.FleetName("/b/shop", run, 4);

        // Same folder name and run tail: the root key (the squad root's path) still tells the servers apart.
        TmuxServer.SocketFor(first, $"/a/shop/.fleet/team/runs/{run}/issue-4", null)
            .ShouldNotBe(TmuxServer.SocketFor(second, $"/b/shop/.fleet/team/runs/{run}/issue-4", null));
        SquadTmux.FleetName("/a/shop", run, 4).ShouldNotBe(SquadTmux.FleetName("/a/web", run, 4));
    }

    [Fact]
    public async Task A_squads_server_is_closed_when_its_run_ends_and_nobody_is_attached()
    {
        if (ToolProbe.FindOnPath("tmux", Environment.GetEnvironmentVariable("PATH")) is null)
        {
            Assert.Skip("tmux is not installed");
        }

        using var temp = new TempDir("fleet-squad-tmux-");
        var name = SquadTmux.FleetName(temp.Path, "t-20261207-170000-" + Guid.NewGuid().ToString("N")[..4], 1);
        var session = TmuxSession.ForFleet(name, temp.Path, socketOverride: null);
        try
        {
            (await session.Server.RunAsync(["new-session", "-d", "-s", session.Name, "sleep", "300"], Ct).DefaultTimeout()).Succeeded.ShouldBeTrue();
            (await session.ExistsAsync(Ct).DefaultTimeout()).ShouldBeTrue();

            (await SquadTmux.CloseUnlessAttachedAsync(name, temp.Path, null, Ct).DefaultTimeout()).ShouldBeTrue();

            (await session.Server.RunAsync(["list-sessions"], Ct).DefaultTimeout()).Succeeded.ShouldBeFalse("no server is left behind");
            (await SquadTmux.CloseUnlessAttachedAsync(name, temp.Path, null, Ct).DefaultTimeout()).ShouldBeFalse("nothing is left to close");
        }
        finally
        {
            await session.Server.KillServerAsync(CancellationToken.None);
        }
    }
}
