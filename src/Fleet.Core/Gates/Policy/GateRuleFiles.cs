using System.Text.Json;
using Fleet.Spec;
using Fleet.Validation;

namespace Fleet.Gates.Policy;

/// <summary>The files gate rules live in besides fleet.json: the repository's rules and the run's.</summary>
public static class GateRuleFiles
{
    /// <summary>The repository's rules, relative to the fleet root: later runs share them.</summary>
    public static readonly string RepoFileName = Path.Combine(".fleet", "gates.json");

    /// <summary>Reads <c>&lt;root&gt;/.fleet/gates.json</c>; none when it is missing.</summary>
    /// <exception cref="InvalidDataException">The file is not valid; the message lists every problem.</exception>
    public static async Task<FleetGates> ReadRepoAsync(string root, CancellationToken cancellationToken)
    {
        var file = Path.Combine(root, RepoFileName);
        if (!Paths.InputFiles.Exists(file, file))
        {
            return FleetGates.None;
        }

        var text = await Paths.InputFiles.ReadTextAsync(file, file, cancellationToken);
        var errors = FleetValidator.ValidateGates(text, file, root).Where(d => d.Severity == Severity.Error).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidDataException(string.Join('\n', errors));
        }

        return FleetGates.From(JsonSerializer.Deserialize(text, FleetJsonContext.Default.GatesSpec));
    }

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
