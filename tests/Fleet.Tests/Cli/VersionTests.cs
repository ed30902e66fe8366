using System.Diagnostics;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>fleet's version comes from git (scripts/version.sh), so each commit's build is newer than the last.</summary>
public sealed class VersionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(new string[0], 3, "0.1.0.3")]
    [InlineData(new[] { "v1.2.0@2" }, 3, "1.2.0.1")]
    [InlineData(new[] { "v1.2.0@3" }, 3, "1.2.0")]
    [InlineData(new[] { "v1.2.0@1", "v1.3.0@2" }, 4, "1.3.0.2")]
    [InlineData(new[] { "v2.0.0-rc1@2" }, 3, "0.1.0.3")]
    [InlineData(new[] { "release-9@2" }, 3, "0.1.0.3")]
    public async Task The_version_is_the_newest_release_tag_plus_the_commits_since_it(string[] tags, int commits, string expected)
    {
        var repo = _dir.Combine("repo");
        Directory.CreateDirectory(Path.Combine(repo, "scripts"));
        File.Copy(Path.Combine(RepoPaths.Root, "scripts", "version.sh"), Path.Combine(repo, "scripts", "version.sh"));
        await RunAsync(repo, "git", "init", "-q");
        for (var i = 1; i <= commits; i++)
        {
            await RunAsync(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", $"c{i}");
            foreach (var tag in tags.Where(t => t.EndsWith($"@{i}", StringComparison.Ordinal)))
            {
                await RunAsync(repo, "git", "tag", tag.Split('@')[0]);
            }
        }

        (await RunAsync(repo, "bash", "scripts/version.sh")).ShouldBe(expected);
    }

    [Fact]
    public async Task Outside_a_git_checkout_the_version_is_the_base()
    {
        var plain = _dir.Combine("plain");
        Directory.CreateDirectory(Path.Combine(plain, "scripts"));
        File.Copy(Path.Combine(RepoPaths.Root, "scripts", "version.sh"), Path.Combine(plain, "scripts", "version.sh"));

        (await RunAsync(plain, "bash", ["scripts/version.sh"], ("GIT_CEILING_DIRECTORIES", _dir.Path))).ShouldBe("0.1.0");
    }

    [Fact]
    public async Task Fleet_version_prints_this_checkouts_git_version_and_commit()
    {
        var expected = await RunAsync(RepoPaths.Root, "bash", "scripts/version.sh");
        var commit = await RunAsync(RepoPaths.Root, "git", "rev-parse", "HEAD");

        // The real program: in-process, the entry assembly (whose version --version prints) is the test host.
        var start = RepoPaths.FleetProcess(_dir.Path, "--version");
        var printed = await RunAsync(_dir.Path, start.FileName, [.. start.ArgumentList], null);

        printed.ShouldBe($"{expected}+{commit}");
    }

    private static Task<string> RunAsync(string dir, string file, params string[] args) => RunAsync(dir, file, args, null);

    private static async Task<string> RunAsync(string dir, string file, string[] args, (string Name, string Value)? env)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (env is { } e)
        {
            start.Environment[e.Name] = e.Value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        process.ExitCode.ShouldBe(0, await stderr);
        return (await stdout).Trim();
    }
}
