using System.Text.Json.Serialization;

namespace Fleet.Forge;

/// <summary>
/// <c>issues/&lt;n&gt;.json</c> of a local forge. Written by hand, only <c>title</c> is needed: the number comes from the
/// file name, the state defaults to open, labels and comments to none.
/// </summary>
internal sealed class LocalIssueRecord
{
    public int? Number { get; set; }

    public string? Title { get; set; }

    public string? Body { get; set; }

    public List<string>? Labels { get; set; }

    /// <summary>open | closed</summary>
    public string? State { get; set; }

    public string? Author { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    /// <summary>The pull request whose merge closed it.</summary>
    public int? ClosedBy { get; set; }

    public List<LocalCommentRecord>? Comments { get; set; }
}

internal sealed class LocalCommentRecord
{
    public string? Author { get; set; }

    public string? Body { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }
}

/// <summary><c>pulls/&lt;n&gt;.json</c>: branch <see cref="Head"/> into <see cref="Base"/> of the forge's repository.</summary>
internal sealed class LocalPullRecord
{
    public int? Number { get; set; }

    public string? Title { get; set; }

    public string? Body { get; set; }

    public string? Head { get; set; }

    public string? Base { get; set; }

    /// <summary>open | merged | closed</summary>
    public string? State { get; set; }

    public string? Author { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>The head commit when the pull request stopped being open (while open, the branch is read live).</summary>
    public string? HeadSha { get; set; }

    public DateTimeOffset? MergedAt { get; set; }

    public string? MergeCommit { get; set; }

    public List<LocalReviewRecord>? Reviews { get; set; }

    public List<LocalCommentRecord>? Comments { get; set; }

    /// <summary>Checks recorded against head commits (a local forge has no CI of its own: team mode runs the plan's checks command).</summary>
    public List<LocalCheckRecord>? Checks { get; set; }
}

internal sealed class LocalCheckRecord
{
    public string? Name { get; set; }

    /// <summary>pass | fail | pending | skipping | cancel</summary>
    public string? Bucket { get; set; }

    public string? Head { get; set; }

    public string? Log { get; set; }

    public string? Link { get; set; }

    public DateTimeOffset? At { get; set; }
}

internal sealed class LocalReviewRecord
{
    public string? Author { get; set; }

    /// <summary>approved | changes_requested | commented</summary>
    public string? State { get; set; }

    public string? Body { get; set; }

    /// <summary>The head commit of the pull request when the review was given.</summary>
    public string? CommitSha { get; set; }

    public DateTimeOffset? SubmittedAt { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(LocalIssueRecord))]
[JsonSerializable(typeof(LocalPullRecord))]
internal sealed partial class LocalForgeJsonContext : JsonSerializerContext;
