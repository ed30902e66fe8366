namespace Fleet.Forge;

/// <summary>Which issues a query asks for.</summary>
public enum IssueState
{
    Open,
    Closed,
    All,
}

/// <summary>What a review says about a pull request.</summary>
public enum ReviewState
{
    Approved,
    ChangesRequested,
    Commented,
}

/// <summary>A comment on an issue or a pull request.</summary>
public sealed record ForgeComment(string Author, string Body, DateTimeOffset? CreatedAt);

/// <summary>An issue. From a list, <see cref="Body"/> may be empty and <see cref="Comments"/> empty; from <see cref="IForge.GetIssueAsync"/> both are whole.</summary>
public sealed record ForgeIssue(
    int Number,
    string Title,
    string Body,
    IReadOnlyList<string> Labels,
    IssueState State,
    string Url,
    IReadOnlyList<ForgeComment> Comments);

/// <summary>A review of a pull request, with the head commit it was given for (null when the forge does not say).</summary>
public sealed record ForgeReview(string Author, ReviewState State, string Body, string? CommitSha, DateTimeOffset? SubmittedAt);

/// <summary>
/// A pull request. <see cref="ClosingIssues"/> are the issues it closes (GitHub's closing references;
/// a local forge reads the <c>Closes #n</c> lines of its body). <see cref="Reviews"/> is empty from a list.
/// </summary>
public sealed record ForgePullRequest(
    int Number,
    string Title,
    string Body,
    string HeadBranch,
    string BaseBranch,
    string? HeadSha,
    string State,
    string Url,
    IReadOnlyList<int> ClosingIssues,
    IReadOnlyList<ForgeReview> Reviews);

/// <summary>A pull request to open: branch <see cref="Head"/> into <see cref="Base"/>.</summary>
public sealed record NewPullRequest(string Head, string Base, string Title, string Body);

/// <summary>
/// One check of a pull request's head: <see cref="Bucket"/> is gh's word for its state (<c>pass</c>, <c>fail</c>,
/// <c>pending</c>, <c>skipping</c>, <c>cancel</c>); <see cref="Log"/> the tail of its output when the forge keeps it.
/// </summary>
public sealed record ForgeCheckRun(string Name, string Bucket, string? Link = null, string? Log = null)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Pending = "pending";
    public const string Skipping = "skipping";
    public const string Cancel = "cancel";
}

/// <summary>Which issues to read: given numbers, or those with a label, or all in the state.</summary>
public sealed record IssueQuery(IReadOnlyList<int>? Numbers = null, string? Label = null, IssueState State = IssueState.Open);

/// <summary>Whether the forge can be used at all (gh installed and authenticated; the local forge's folder exists).</summary>
public sealed record ForgeCheck(bool Ok, string Message);

/// <summary>A forge call failed; the message names the command or file and the forge's own words.</summary>
public sealed class ForgeException : Exception
{
    public ForgeException(string message)
        : base(message)
    {
    }

    public ForgeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ForgeException()
    {
    }
}

/// <summary>
/// Where issues and pull requests live: GitHub through the <c>gh</c> CLI (GhForge), or a folder of
/// records for offline use (LocalForge). Team mode talks only to this.
/// </summary>
public interface IForge
{
    /// <summary>For messages: "GitHub (gh) in /repo" or "local forge /path".</summary>
    string Description { get; }

    /// <summary>Step 0 of team mode: can this forge be used (gh authenticated, folder present)?</summary>
    Task<ForgeCheck> CheckAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<ForgeIssue>> ListIssuesAsync(IssueQuery query, CancellationToken cancellationToken);

    /// <summary>One issue whole: body and every comment.</summary>
    Task<ForgeIssue> GetIssueAsync(int number, CancellationToken cancellationToken);

    Task<IReadOnlyList<ForgePullRequest>> ListOpenPullRequestsAsync(CancellationToken cancellationToken);

    /// <summary>One pull request whole, with its reviews and current head commit.</summary>
    Task<ForgePullRequest> GetPullRequestAsync(int number, CancellationToken cancellationToken);

    Task<ForgePullRequest> CreatePullRequestAsync(NewPullRequest pullRequest, CancellationToken cancellationToken);

    Task EditPullRequestBodyAsync(int number, string body, CancellationToken cancellationToken);

    Task ReviewPullRequestAsync(int number, ReviewState state, string body, CancellationToken cancellationToken);

    Task CommentOnPullRequestAsync(int number, string body, CancellationToken cancellationToken);

    /// <summary>Merges, refusing (ForgeException) when the head is no longer <paramref name="expectedHeadSha"/>.</summary>
    Task MergePullRequestAsync(int number, string expectedHeadSha, CancellationToken cancellationToken);

    Task<ForgeIssue> CreateIssueAsync(string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken);

    /// <summary>The checks of the pull request's current head (empty when it has none).</summary>
    Task<IReadOnlyList<ForgeCheckRun>> GetChecksAsync(int number, CancellationToken cancellationToken);

    /// <summary>Points the pull request at another base branch (a stacked one, when the branch it was on has merged).</summary>
    Task SetPullRequestBaseAsync(int number, string baseBranch, CancellationToken cancellationToken);
}
