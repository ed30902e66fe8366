using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Workers;

/// <summary>
/// A mark in the environment of every process a worker's agent starts: <c>FLEET_WORKER_TOKEN=&lt;root hash&gt;/&lt;worker&gt;/&lt;iteration&gt;/&lt;random&gt;</c>.
/// Children inherit it however they detach, so <c>fleet kill</c> finds them in <c>/proc/*/environ</c> even after the
/// shim is gone. The random part makes it this run's alone: no other fleet, run or person carries it.
/// </summary>
public static class WorkerToken
{
    public const string Variable = "FLEET_WORKER_TOKEN";

    /// <summary>A new token for (worker, iteration) of the fleet whose iteration folder is <paramref name="iterationDir"/>.</summary>
    public static string Create(string iterationDir, string worker, int iteration)
    {
        ArgumentNullException.ThrowIfNull(iterationDir);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(iterationDir))) ?? iterationDir;
        var rootHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
        return string.Create(CultureInfo.InvariantCulture, $"{rootHash}/{worker}/{iteration}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}");
    }
}
