namespace Fleet.Tests.Team;

/// <summary>
/// The team runs with the real claude and codex (four agents a squad, squads wave after wave): one at a time, so they do
/// not multiply each other's load on a small machine.
/// </summary>
[CollectionDefinition(Collection)]
public sealed class TeamEndToEnd
{
    public const string Collection = "team end to end";
}
