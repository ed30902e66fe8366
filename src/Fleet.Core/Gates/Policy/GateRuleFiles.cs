using System.Text.Json;

namespace Fleet.Gates.Policy;

/// <summary>The files gate rules live in besides fleet.json: the repository's rules and the run's.</summary>
public static class GateRuleFiles
{
    /// <summary>The repository's rules, relative to the fleet root: later runs share them.</summary>
    public static readonly string RepoFileName = Path.Combine(".fleet", "gates.json");

    /// <summary>
    /// The allow rules of <c>.fleet/gates.run.json</c>, read afresh. A missing file is no rules; a file being rewritten
    /// or broken, and rules that do not parse, are skipped (the request then asks a person: never a wrong allow).
    /// </summary>
    public static async Task<IReadOnlyList<GateRule>> ReadRunAllowAsync(string? path, CancellationToken cancellationToken)
    {
        if (path is null || !File.Exists(path))
        {
            return [];
        }

        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var rules = await JsonSerializer.DeserializeAsync(stream, GateJsonContext.Default.RunGateRules, cancellationToken);
            return [.. (rules?.Allow ?? []).Select(t => GateRule.TryParse(t, out var rule, out _) ? rule : null).OfType<GateRule>()];
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
