using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.Spec;

namespace Fleet.Placement;

/// <summary>How fleet submits a slurm worker's shim: the job's name and the sbatch argv. Pure.</summary>
public static partial class SlurmJob
{
    /// <summary>The constant batch script: it runs its arguments, so the shim's argv is never a shell string.</summary>
    public const string Script = "#!/bin/sh\n# fleet: runs a worker shim as a Slurm batch job; the shim's argv is this script's arguments.\nexec \"$@\"\n";

    /// <summary>Where the batch script lives, in the root so every node sees it.</summary>
    public static string ScriptPath(string root) => Path.Combine(root, ".fleet", "slurm-job.sh");

    /// <summary>The job record <c>iterations/N/&lt;id&gt;.slurm.json</c>, written once sbatch has answered.</summary>
    public static string RecordPath(string iterationDir, string worker) => Path.Combine(iterationDir, worker + ".slurm.json");

    /// <summary><c>fleet:&lt;fleet&gt;:&lt;worker&gt;:&lt;iteration&gt;</c>: the job name carries fleet, worker and iteration, so a restarted orchestrator finds the job again.</summary>
    public static string Name(string fleet, string worker, int iteration) =>
        string.Create(CultureInfo.InvariantCulture, $"fleet:{fleet}:{worker}:{iteration}");

    /// <summary>The arguments sbatch gets from fleet; extra_args may not set them again.</summary>
    public static IReadOnlyList<string> ReservedArguments { get; } =
    [
        "--requeue", "--no-requeue", "-J", "--job-name", "-o", "--output", "-e", "--error", "--wrap", "--parsable",
        "-D", "--chdir", "--comment", "-a", "--array", "-W", "--wait",
    ];

    /// <summary>The exact argv: <c>sbatch --parsable --no-requeue --job-name=… --output=… … SCRIPT SHIM-ARGV…</c>.</summary>
    /// <param name="fleet">The fleet's name.</param>
    /// <param name="root">The fleet root (absolute), shared with the nodes.</param>
    /// <param name="worker">The worker id.</param>
    /// <param name="iteration">The iteration.</param>
    /// <param name="settings">The worker's sbatch settings.</param>
    /// <param name="shimLog">The shim's view, in the iteration folder: the job's output.</param>
    /// <param name="shimArgv">The worker shim's argv.</param>
    public static IReadOnlyList<string> SbatchArgv(string fleet, string root, string worker, int iteration, SlurmSettings settings, string shimLog, IReadOnlyList<string> shimArgv)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shimArgv);
        var argv = new List<string>
        {
            "sbatch", "--parsable", "--no-requeue",
            $"--job-name={Name(fleet, worker, iteration)}",
            $"--comment=fleet-root:{root}",
            $"--output={shimLog}",
            $"--chdir={root}",
            "--ntasks=1",
            "--export=ALL",
        };
        if (settings.Partition is { } partition)
        {
            argv.Add($"--partition={partition}");
        }

        if (settings.Account is { } account)
        {
            argv.Add($"--account={account}");
        }

        if (settings.TimeLimit is { } limit)
        {
            argv.Add(IsNone(limit) ? "--time=UNLIMITED" : $"--time={limit}");
        }

        argv.AddRange(settings.ExtraArgs);
        argv.Add(ScriptPath(root));
        argv.AddRange(shimArgv);
        return argv;
    }

    /// <summary>The fleet command the nodes run: fleet_binary (relative to the root) when given, else the launching fleet's own.</summary>
    public static IReadOnlyList<string> FleetCommand(SlurmSettings settings, string root, IReadOnlyList<string> own)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.FleetBinary is { } binary ? [Path.GetFullPath(binary, root)] : own;
    }

    public static bool IsNone(string timeLimit) => string.Equals(timeLimit, "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>A time limit sbatch accepts: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or "none".</summary>
    public static bool IsValidTimeLimit(string timeLimit) => IsNone(timeLimit) || TimeLimitPattern().IsMatch(timeLimit);

    /// <summary>Why an extra sbatch argument is refused, or null: fleet's own arguments cannot be overridden.</summary>
    public static string? ExtraArgumentProblem(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (!argument.StartsWith('-'))
        {
            return $"\"{argument}\" is not an sbatch option (extra_args are options such as --mem=4G; the job's command is the worker shim)";
        }

        var name = argument.Split('=', 2)[0];
        var reserved = ReservedArguments.FirstOrDefault(r => name == r || (r.Length == 2 && argument.StartsWith(r, StringComparison.Ordinal) && !argument.StartsWith("--", StringComparison.Ordinal)));
        return reserved is null ? null : $"fleet sets {reserved} itself (never requeued, named after the worker, its output in the iteration folder); remove it";
    }

    [GeneratedRegex(@"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2})$")]
    private static partial Regex TimeLimitPattern();
}
