using System.Security.Cryptography;
using Fleet.Forge;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Worktrees;

namespace Fleet.Tests.Forge;

/// <summary>A forge with somewhere to push to: the same test drives GitHub (the fake gh) and the local forge.</summary>
public interface IForgeWorld : IDisposable
{
    IForge Forge { get; }

    /// <summary>Pushes a new commit to <paramref name="branch"/> (made from main when new) and returns its sha.</summary>
    Task<string> PushAsync(string branch, string content);
}

/// <summary>A local forge beside a real git repository on main; each branch is built in a worktree of its own.</summary>
public sealed class LocalForgeWorld : IForgeWorld
{
    private LocalForgeWorld(TestRepo repo, LocalForge forge)
    {
        Repo = repo;
        Local = forge;
    }

    public TestRepo Repo { get; }

    public LocalForge Local { get; }

    public IForge Forge => Local;

    public string ForgeDir => Local.ForgeDir;

    public static async Task<LocalForgeWorld> CreateAsync(LocalForgeOptions? options = null)
    {
        var repo = await TestRepo.CreateAsync();
        var forgeDir = repo.Temp.Combine("forge");
        LocalForge.Create(forgeDir);
        return new LocalForgeWorld(repo, new LocalForge(forgeDir, repo.Path, options ?? new LocalForgeOptions { Author = "fleet-bot" }));
    }

    public string WorktreeOf(string branch) => Repo.Temp.Combine("wt", branch.Replace('/', '-'));

    public async Task<string> PushAsync(string branch, string content)
    {
        var worktree = WorktreeOf(branch);
        if (!Directory.Exists(worktree))
        {
            await Repo.GitAsync("worktree", "add", "--quiet", worktree, "-b", branch, "main");
        }

        Repo.Write("work.txt", content, worktree);
        return await TestRepo.CommitInAsync(worktree, $"work: {content}");
    }

    public void Dispose() => Repo.Dispose();
}

/// <summary>
/// GitHub as the fake gh plays it. The developer's account (fleet-dev) opens the pull requests and the reviewer's
/// (fleet-reviewer) runs the forge, so approvals are real approvals (the own-PR rule has tests of its own).
/// </summary>
public sealed class GhForgeWorld : IForgeWorld
{
    private readonly TempDir _repo = new("fleet-ghworld-");

    public GhForgeWorld()
    {
        var state = FakeGhInstall.DefaultState();
        state["viewer"] = "fleet-reviewer";
        state["createAs"] = "fleet-dev";
        Gh = new FakeGhInstall(state);
        Forge = Gh.Forge(_repo.Path);
    }

    public FakeGhInstall Gh { get; }

    public IForge Forge { get; }

    public Task<string> PushAsync(string branch, string content)
    {
        var sha = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        Gh.Push(branch, sha);
        return Task.FromResult(sha);
    }

    public void Dispose()
    {
        Gh.Dispose();
        _repo.Dispose();
    }
}
