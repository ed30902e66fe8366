using System.Globalization;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.Spec;

namespace Fleet.Placement;

/// <summary>One check of <c>fleet doctor</c> for slurm placement: its name, whether it passed, and what was seen or how to fix it.</summary>
public sealed record SlurmCheck(string Name, bool Ok, string Detail);

/// <summary>
/// What a slurm fleet needs from the machine and the cluster: <c>sinfo</c> and <c>squeue</c> answer, munge makes and
/// checks a credential, and a node reads a file written here at the same path (the fleet root is shared). Each
/// failure is named with its cause.
/// </summary>
public static class SlurmDoctor
{
    /// <summary>How long the shared-path probe may wait for a node (srun's <c>--immediate</c>).</summary>
    public static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(20);

    /// <param name="root">The fleet root the nodes must share.</param>
    /// <param name="settings">The fleet's sbatch settings (partition and account for the probe).</param>
    /// <param name="client">The Slurm commands.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public static async Task<IReadOnlyList<SlurmCheck>> CheckAsync(string root, SlurmSettings settings, SlurmClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(client);
        var sinfo = await client.Run(["sinfo", "-h", "-o", "%P %a %D %T"], cancellationToken);
        var squeue = await client.Run(["squeue", "-h", "--me", "-o", "%i"], cancellationToken);
        var config = await client.Run(["scontrol", "show", "config"], cancellationToken);
        return
        [
            Sinfo(sinfo),
            Squeue(squeue),
            await MungeAsync(config.Succeeded ? MungeSocket(config.Stdout) : null, client, cancellationToken),
            await SharedPathAsync(root, settings, client, cancellationToken),
        ];
    }

    /// <summary>sinfo's partitions, or why it did not answer.</summary>
    public static SlurmCheck Sinfo(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Succeeded)
        {
            return new SlurmCheck("sinfo", false, $"{Problem(result, "slurm-client")}: the controller is unreachable or SLURM_CONF is wrong");
        }

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0
            ? new SlurmCheck("sinfo", false, "no partition: the cluster has no nodes fleet could use")
            : new SlurmCheck("sinfo", true, string.Join("; ", lines.Select(l => l.Split(' ') is [var p, var a, var n, var s] ? $"{p} {a}, {n} node(s) {s}" : l)));
    }

    /// <summary>squeue answers (fleet reads job states with it every round).</summary>
    public static SlurmCheck Squeue(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Succeeded)
        {
            return new SlurmCheck("squeue", false, $"{Problem(result, "slurm-client")}: fleet could not watch its jobs");
        }

        var jobs = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        return new SlurmCheck("squeue", true, string.Create(CultureInfo.InvariantCulture, $"answers ({jobs} job(s) of yours known)"));
    }

    /// <summary>The munge socket named by <c>AuthInfo=socket=…</c> in <c>scontrol show config</c>, or null for munge's default.</summary>
    public static string? MungeSocket(string config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var line in config.Split('\n'))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == "AuthInfo")
            {
                return parts[1].Split(',').Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("socket=", StringComparison.Ordinal))?["socket=".Length..];
            }
        }

        return null;
    }

    /// <summary><c>munge -n | unmunge</c>: a credential made and checked through the daemon Slurm uses.</summary>
    private static async Task<SlurmCheck> MungeAsync(string? socket, SlurmClient client, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> with = socket is null ? [] : ["--socket", socket];
        var made = await client.Run(["munge", "-n", .. with], cancellationToken);
        if (!made.Succeeded)
        {
            return new SlurmCheck("munge", false, $"munge -n: {Problem(made, "munge")}{(socket is null ? "" : $" (socket {socket})")}: is munged running?");
        }

        var check = await client.Run(["unmunge", .. with], made.Stdout, cancellationToken);
        return check.Succeeded && check.Stdout.Contains("STATUS:", StringComparison.Ordinal) && check.Stdout.Contains("Success", StringComparison.Ordinal)
            ? new SlurmCheck("munge", true, socket is null ? "munge -n | unmunge: Success" : $"munge -n | unmunge: Success (socket {socket})")
            : new SlurmCheck("munge", false, $"unmunge: {Problem(check, "munge")}: the credential was not accepted (a different munge.key?)");
    }

    /// <summary>A node reads, at the same path, a file written here: the fleet root is shared.</summary>
    private static async Task<SlurmCheck> SharedPathAsync(string root, SlurmSettings settings, SlurmClient client, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid().ToString("N");
        var probe = Path.Combine(root, ".fleet", $"doctor-probe-{token[..8]}");
        try
        {
            PrivateFiles.CreateDirectoryFor(probe);
            await PrivateFiles.WriteAllTextAsync(probe, token, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SlurmCheck("shared path", false, $"cannot write {probe}: {e.Message}");
        }

        try
        {
            var wait = (int)ProbeWait.TotalSeconds;
            var argv = new List<string> { "srun", "--quiet", string.Create(CultureInfo.InvariantCulture, $"--immediate={wait}"), "--ntasks=1", "--time=1", "--job-name=fleet-doctor", "--chdir=/" };
            if (settings.Partition is { } partition)
            {
                argv.Add($"--partition={partition}");
            }

            if (settings.Account is { } account)
            {
                argv.Add($"--account={account}");
            }

            argv.AddRange(["sh", "-c", "printf '%s ' \"$SLURMD_NODENAME\"; cat \"$0\"", probe]);
            var result = await client.Run(argv, null, cancellationToken, ProbeWait + TimeSpan.FromSeconds(15));
            return SharedPath(result, probe, token, wait);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>Reads the probe's answer: <c>NODE TOKEN</c> when the node read the file.</summary>
    public static SlurmCheck SharedPath(CommandResult result, string probe, string token, int waitSeconds)
    {
        ArgumentNullException.ThrowIfNull(result);
        var answer = result.Stdout.Trim().Split(' ', 2);
        if (result.Succeeded && answer.Length == 2 && answer[1].Trim() == token)
        {
            return new SlurmCheck("shared path", true, $"node {answer[0]} read {probe}, written here");
        }

        if (result.TimedOut || result.Stderr.Contains("Unable to allocate resources", StringComparison.Ordinal) || result.Stderr.Contains("immediate", StringComparison.OrdinalIgnoreCase))
        {
            return new SlurmCheck("shared path", false, string.Create(CultureInfo.InvariantCulture, $"no node ran the probe within {waitSeconds} s ({FirstLine(result)}): the partition is full, down or unknown"));
        }

        return !result.Started
            ? new SlurmCheck("shared path", false, "srun: not found on PATH (install slurm-client)")
            : new SlurmCheck("shared path", false, $"a node could not read {probe}, written here ({FirstLine(result)}): the fleet root must be on a file system the nodes share, at the same path");
    }

    private static string FirstLine(CommandResult r) =>
        (r.Stderr.Trim().Length > 0 ? r.Stderr : r.Stdout).Trim().Split('\n')[0] is { Length: > 0 } line ? line : string.Create(CultureInfo.InvariantCulture, $"exit {r.ExitCode}");

    private static string Problem(CommandResult r, string package) =>
        !r.Started ? $"not found on PATH (install {package})"
        : r.TimedOut ? "no answer within 30 s"
        : FirstLine(r);
}
