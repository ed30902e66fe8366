using Fleet.Paths;

namespace Fleet.UseCases;

/// <summary>
/// What a use case needs to know of the front end that runs it: the environment it was given (FLEET_HOME, PATH, the
/// tmux socket...), the folder it runs in, its clock.
/// </summary>
public sealed record FleetHost(Func<string, string?> GetEnvironmentVariable, string CurrentDirectory, TimeProvider Time)
{
    /// <summary>The user's fleet folders (the registry, the logs) as this environment places them.</summary>
    public UserDirs UserDirs => new(GetEnvironmentVariable);
}
