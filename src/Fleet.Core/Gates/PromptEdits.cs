using System.Security.Cryptography;
using Fleet.State;

namespace Fleet.Gates;

/// <summary>
/// Edits of a worker's <c>prompt.md</c> during a run are gates too: the orchestrator journals the file's hash at
/// each spawn (<c>worker_spawning.brief</c>), and a hash that differs from the same worker's previous spawn in the
/// run is an edit a person made between those iterations.
/// </summary>
public static class PromptEdits
{
    /// <summary>SHA-256 (hex) of <c>workers/&lt;id&gt;/prompt.md</c>; null when the worker has none (its brief is the task).</summary>
    public static string? Hash(FleetLayout layout, string worker)
    {
        ArgumentNullException.ThrowIfNull(layout);
        try
        {
            var file = layout.PromptFile(worker);
            return File.Exists(file) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
