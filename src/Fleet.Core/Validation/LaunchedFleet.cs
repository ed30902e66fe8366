using Fleet.Spec;
using Fleet.State;

namespace Fleet.Validation;

/// <summary>The fleet as launched: <c>.fleet/launch.json</c>, the rules in force for this run.</summary>
public static class LaunchedFleet
{
    public static ResolvedFleet Load(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var result = FleetValidator.Validate(File.ReadAllText(layout.LaunchFile), layout.Relative(layout.LaunchFile), layout.Root);
        return result.Fleet ?? throw new InvalidDataException(
            $"{layout.LaunchFile} is not a valid fleet: {string.Join("; ", result.Errors.Select(e => e.ToString()))}");
    }
}
