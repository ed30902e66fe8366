namespace Fleet.Forge;

/// <summary>The values of <see cref="ForgePullRequest.State"/>: GitHub's words, which the local forge uses too.</summary>
public static class PullRequestStates
{
    public const string Open = "OPEN";
    public const string Merged = "MERGED";
    public const string Closed = "CLOSED";
}
