using Fleet.Forge;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Worktrees;

namespace Fleet.Tests.Team;

/// <summary>A real git repository with a local forge beside it: what team mode's tests run on.</summary>
public abstract class LocalForgeRepo : IAsyncLifetime
{
    protected TestRepo Repo { get; private set; } = null!;

    protected string ForgeDir { get; private set; } = null!;

    protected LocalForge Forge { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Repo = await TestRepo.CreateAsync();
        ForgeDir = Repo.Temp.Combine("forge");
        LocalForge.Create(ForgeDir);
        Forge = new LocalForge(ForgeDir, Repo.Path);
        await SeedAsync();
    }

    public ValueTask DisposeAsync()
    {
        Repo.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Issues the test starts with; none by default.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    protected async Task AddIssuesAsync(int count, Func<int, string> body)
    {
        for (var i = 1; i <= count; i++)
        {
            await Forge.AddIssueAsync($"Issue {i}", body(i), cancellationToken: Ct).DefaultTimeout();
        }
    }

    /// <summary>Someone else's branch, one commit ahead of main, without touching the checked-out tree.</summary>
    protected async Task TheirBranchAsync(string branch)
    {
        var their = await Repo.GitAsync("commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "their work");
        await Repo.GitAsync("branch", branch, their);
    }
}
