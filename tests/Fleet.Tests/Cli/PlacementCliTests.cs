using System.Text.Json;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary><c>fleet launch --dry-run</c> for slurm and kubernetes placement: the sbatch argv and the Job manifests, as golden files.</summary>
public sealed class PlacementCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<(int ExitCode, TestConsole Console)> Fleet(params string[] args) => TestConsole.RunAsync(_dir.Path, args);

    [Fact]
    public async Task Dry_run_of_a_slurm_fleet_shows_the_sbatch_argv_of_each_slurm_worker()
    {
        var root = CopyExample("slurm");

        var (code, console) = await Fleet("launch", root, "--dry-run");

        code.ShouldBe(0, console.Stderr);
        Golden.Match(console.Stdout.Replace(root, "<root>", StringComparison.Ordinal), "dry-run-slurm.txt");
    }

    [Fact]
    public async Task Dry_run_json_carries_each_workers_placement_and_sbatch_argv()
    {
        var root = CopyExample("slurm");

        var (code, console) = await Fleet("launch", root, "--dry-run", "--json");

        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        var workers = doc.RootElement.GetProperty("workers").EnumerateArray().ToDictionary(w => w.GetProperty("id").GetString()!);
        workers["builder"].GetProperty("placement").GetString().ShouldBe("slurm");
        workers["builder"].GetProperty("sbatch")[0].GetString().ShouldBe("sbatch");
        workers["check"].GetProperty("placement").GetString().ShouldBe("local");
        workers["check"].TryGetProperty("sbatch", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Placement_slurm_on_the_command_line_previews_a_local_fleet_on_slurm()
    {
        var root = CopyExample("dag-commands");

        var (code, console) = await Fleet("launch", root, "--dry-run", "--placement", "slurm");

        code.ShouldBe(0, console.Stderr);
        console.Stdout.Split('\n').Count(l => l.Contains("on slurm, its shim as a batch job: $ sbatch --parsable --no-requeue", StringComparison.Ordinal)).ShouldBe(4);
    }

    [Fact]
    public async Task Dry_run_with_placement_kubernetes_prints_one_never_retried_job_per_worker()
    {
        var root = CopyExample("slurm");

        var (code, console) = await Fleet("launch", root, "--dry-run", "--placement", "kubernetes");

        code.ShouldBe(0, console.Stderr);
        Golden.Match(console.Stdout.Replace(root, "<root>", StringComparison.Ordinal), "dry-run-kubernetes.json");
        console.Stderr.ShouldContain("designed, not run");
    }

    [Fact]
    public async Task The_kubernetes_manifests_of_an_iterative_fleet_match_their_golden_file()
    {
        var root = CopyExample("iterative");

        var (code, console) = await Fleet("launch", root, "--dry-run", "--placement", "kubernetes");

        code.ShouldBe(0, console.Stderr);
        Golden.Match(console.Stdout.Replace(root, "<root>", StringComparison.Ordinal), "dry-run-kubernetes-iterative.json");
    }

    [Fact]
    public async Task Placement_without_dry_run_is_refused_with_exit_2_and_starts_nothing()
    {
        var root = CopyExample("slurm");

        var (code, console) = await Fleet("launch", root, "--placement", "kubernetes");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("--placement works with --dry-run only");
        Directory.Exists(Path.Combine(root, ".fleet")).ShouldBeFalse();
    }

    private string CopyExample(string name)
    {
        var target = _dir.Combine(name);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Examples, name), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Path.Combine(RepoPaths.Examples, name), file);
            _dir.Write(Path.Combine(name, relative), File.ReadAllText(file));
        }

        return target;
    }
}
