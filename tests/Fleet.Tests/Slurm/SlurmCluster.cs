using Fleet.Processes;

namespace Fleet.Tests.Slurm;

/// <summary>
/// The loopback Slurm cluster of scripts/slurm-cluster.sh, found through SLURM_CONF or FLEET_SLURM_DIR. The slurm tests
/// skip, saying so, when none answers; in CI (FLEET_SLURM_REQUIRED=1, set by .ci/run after it brought the cluster up)
/// they fail instead, so they can never pass by being skipped there.
/// </summary>
internal static class SlurmCluster
{
    /// <summary>The slurm test classes run one at a time: a node taken down by one would fail another's jobs.</summary>
    public const string Collection = "slurm cluster";

    public static string Conf =>
        Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 } conf ? conf
        : Path.Combine(Environment.GetEnvironmentVariable("FLEET_SLURM_DIR") is { Length: > 0 } dir ? dir : "/tmp/fleet-slurm", "slurm.conf");

    /// <summary>Returns SLURM_CONF for the fleet's environment, or skips (fails in CI) when no cluster answers.</summary>
    public static async Task<string> RequireAsync()
    {
        var problem = await ProblemAsync();
        if (problem is null)
        {
            return Conf;
        }

        if (Environment.GetEnvironmentVariable("FLEET_SLURM_REQUIRED") == "1")
        {
            throw new InvalidOperationException($"FLEET_SLURM_REQUIRED=1 but {problem}");
        }

        Assert.Skip($"SKIPPED, NOT PASSED: {problem}; start one with: scripts/slurm-cluster.sh up");
        return Conf;
    }

    private static async Task<string?> ProblemAsync()
    {
        if (!File.Exists(Conf))
        {
            return $"no Slurm cluster configured ({Conf} does not exist)";
        }

        var result = await Run(["sinfo", "-h", "-N", "-o", "%N %T"]);
        if (!result.Succeeded)
        {
            return $"sinfo does not answer: {result.FirstLine}";
        }

        return Usable(result.Stdout).Count >= 2 ? null : $"the cluster has fewer than 2 usable nodes:\n{result.Stdout}";
    }

    /// <summary>The nodes that can take a job now (not down, not drained), in sinfo's order; at least two once <see cref="RequireAsync"/> passed.</summary>
    public static async Task<IReadOnlyList<string>> UsableNodesAsync()
    {
        var result = await Run(["sinfo", "-h", "-N", "-o", "%N %T"]);
        return Usable(result.Stdout);
    }

    private static List<string> Usable(string sinfo) =>
        [.. sinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 2 && !f[1].Contains("down", StringComparison.Ordinal) && !f[1].Contains("drain", StringComparison.Ordinal))
            .Select(f => f[0])
            .Distinct(StringComparer.Ordinal)];

    /// <summary>Runs a Slurm client command against the cluster.</summary>
    public static Task<CommandResult> Run(IReadOnlyList<string> argv) =>
        CommandRunner.For(argv).WithEnvironment([new("SLURM_CONF", Conf)]).WithTimeout(TimeSpan.FromSeconds(30)).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

    /// <summary>This machine's jobs whose name starts with <paramref name="prefix"/>, any state squeue still holds.</summary>
    public static async Task<IReadOnlyList<Fleet.Placement.SlurmJobInfo>> JobsAsync(string prefix)
    {
        var result = await Run(["squeue", "-h", "--states=all", "-o", Fleet.Placement.SlurmJobStates.SqueueFormat]);
        return [.. Fleet.Placement.SlurmJobStates.ParseSqueue(result.Stdout).Where(j => j.Name.StartsWith(prefix, StringComparison.Ordinal))];
    }
}
