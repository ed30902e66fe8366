using Fleet.Tests.Infrastructure;
using Fleet.Worktrees;

namespace Fleet.Tests.Worktrees;

/// <summary>A real git repository in a temp folder, with its own identity (never the machine's global config).</summary>
public sealed class TestRepo : IDisposable
{
    private readonly TempDir _dir;

    private TestRepo(TempDir dir, string path)
    {
        _dir = dir;
        Path = path;
    }

    public static GitIdentity Agent { get; } = new("Fleet Agent", "agent@fleet.invalid");

    /// <summary>The repository's top folder (its name has a space in it, on purpose).</summary>
    public string Path { get; }

    public TempDir Temp => _dir;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A repository on branch main; with <paramref name="commit"/>, one commit of README.md.</summary>
    public static async Task<TestRepo> CreateAsync(bool commit = true)
    {
        var dir = new TempDir("fleet-wt-");
        var path = dir.Combine("my repo");
        Directory.CreateDirectory(path);
        var repo = new TestRepo(dir, path);
        await repo.GitAsync("init", "--quiet", "--initial-branch=main");
        await repo.GitAsync("config", "user.name", "Test Person");
        await repo.GitAsync("config", "user.email", "test@fleet.invalid");
        await repo.GitAsync("config", "commit.gpgSign", "false");
        if (commit)
        {
            repo.Write("README.md", "hello\n");
            await repo.GitAsync("add", "README.md");
            await repo.GitAsync("commit", "--quiet", "-m", "first");
        }

        return repo;
    }

    public string Write(string relative, string content, string? inFolder = null)
    {
        var full = System.IO.Path.Combine(inFolder ?? Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>Runs git in the repository and returns its trimmed stdout; fails the test on error.</summary>
    public Task<string> GitAsync(params string[] args) => GitInAsync(Path, args);

    public static async Task<string> GitInAsync(string dir, params string[] args) =>
        (await GitCli.Default.RunCheckedAsync(dir, args, Ct).DefaultTimeout()).Stdout.Trim();

    /// <summary>Commits everything in <paramref name="dir"/> as the test person.</summary>
    public static async Task<string> CommitInAsync(string dir, string message)
    {
        await GitInAsync(dir, "add", "--all");
        await GitInAsync(dir, "commit", "--quiet", "-m", message);
        return await GitInAsync(dir, "rev-parse", "HEAD");
    }

    public void Dispose() => _dir.Dispose();
}
