using Fleet.State;

namespace Fleet.UseCases;

/// <summary>The fleet root an operation was pointed at.</summary>
public static class FleetRoots
{
    /// <summary>The layout of an existing folder; <paramref name="displayRoot"/> is the root as the person gave it, for the message.</summary>
    public static FleetLayout Existing(string root, string displayRoot)
    {
        if (!Directory.Exists(root))
        {
            throw new FleetOperationException($"{displayRoot}: no such folder");
        }

        return new FleetLayout(root);
    }
}
