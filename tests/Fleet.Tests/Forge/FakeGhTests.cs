using Fleet.Processes;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Forge;

/// <summary>The fake gh refuses what real gh refuses, so a forge that drifts from gh's surface fails its tests.</summary>
public sealed class FakeGhTests
{
    [Theory]
    [InlineData("frob", "unknown command \"frob\" for \"gh\"")]
    [InlineData("pr frob 1", "unknown command \"frob\" for \"gh pr\"")]
    [InlineData("pr view 1 --web", "unknown flag: --web")]
    [InlineData("pr view 1 --json number,headSha", "Unknown JSON field: \"headSha\"")]
    [InlineData("issue create --title t", "must provide `--title` and `--body` when not running interactively")]
    [InlineData("pr review 2 --body b", "--approve, --request-changes, or --comment required when not running interactively")]
    [InlineData("pr merge 2 --match-head-commit abc", "--merge, --rebase, or --squash required when not running interactively")]
    public async Task The_fake_gh_refuses_what_gh_refuses_with_exit_1(string argv, string firstLine)
    {
        using var gh = new FakeGhInstall();
        gh.AddIssue(1, "x", "y", []);
        gh.Push("feat", FakeGhInstall.Sha('a'));
        gh.AddPull(2, "feat", "t", "b");
        var env = gh.Environment;

        var result = await new CommandRunner(Path.Combine(gh.BinDir, "gh"))
            .WithArguments(argv.Split(' '))
            .WithEnvironment(env)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken)
            .DefaultTimeout();

        result.ExitCode.ShouldBe(1);
        result.Stderr.Split('\n')[0].ShouldBe(firstLine);
        gh.Calls().Single().Line.ShouldBe(argv);
    }
}
