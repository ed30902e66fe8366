using System.Text.Json;
using Fleet.Gates.Policy;
using Fleet.Spec;

namespace Fleet.Validation;

/// <summary>The repository's gate rules, <c>.fleet/gates.json</c>, validated as fleet.json's are.</summary>
public static class RepoGateRules
{
    /// <summary>Reads <c>&lt;root&gt;/.fleet/gates.json</c>; none when it is missing.</summary>
    /// <exception cref="InvalidDataException">The file is not valid; the message lists every problem.</exception>
    public static async Task<FleetGates> ReadAsync(string root, CancellationToken cancellationToken)
    {
        var file = Path.Combine(root, GateRuleFiles.RepoFileName);
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
}
