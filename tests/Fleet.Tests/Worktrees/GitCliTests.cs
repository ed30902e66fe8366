using Fleet.Tests.Infrastructure;
using Fleet.Worktrees;

namespace Fleet.Tests.Worktrees;

public sealed class GitCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failed_command_s_error_names_the_command_the_folder_and_git_s_stderr()
    {
        using var repo = await TestRepo.CreateAsync();

        var ex = await Should.ThrowAsync<GitException>(GitCli.Default.RunCheckedAsync(repo.Path, ["rev-parse", "--verify", "no such ref"], Ct).DefaultTimeout());

        ex.ShouldNotBeOfType<NotAGitRepositoryException>();
        ex.Message.ShouldBe($"git rev-parse --verify 'no such ref' failed in {repo.Path} (exit 128): fatal: Needed a single revision");
        ex.Result.ShouldNotBeNull().ExitCode.ShouldBe(128);
    }

    [Fact]
    public async Task Stdin_is_closed_so_a_command_that_reads_it_ends_at_once()
    {
        using var dir = new TempDir("fleet-git-");

        var result = await GitCli.Default.RunCheckedAsync(dir.Path, ["hash-object", "--stdin"], Ct).DefaultTimeout();

        result.Stdout.ShouldBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\n");
    }

    [Fact]
    public async Task Git_runs_with_terminal_prompts_off_and_no_editor()
    {
        using var dir = new TempDir("fleet-git-");

        var result = await GitCli.Default.RunCheckedAsync(
            dir.Path,
            ["-c", "alias.env=!printf '%s|%s' \"$GIT_TERMINAL_PROMPT\" \"$GIT_EDITOR\"", "env"],
            Ct).DefaultTimeout();

        result.Stdout.ShouldBe("0|true");
    }

    [Fact]
    public async Task A_cancelled_token_stops_waiting_for_git()
    {
        using var dir = new TempDir("fleet-git-");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(GitCli.Default.RunAsync(dir.Path, ["version"], cts.Token).DefaultTimeout());
    }
}
