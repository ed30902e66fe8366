namespace Fleet.Reviews;

/// <summary>A reviewer's verdict as read from review.md.</summary>
/// <param name="Verdict"><c>lgtm</c>, <c>iterate</c> or <c>escalate</c>.</param>
/// <param name="Reason">The reviewer's words around the verdict line, shortened.</param>
/// <param name="Source"><c>review.md</c>, or <c>no verdict: …</c> when the file gave none and iterate was assumed.</param>
public sealed record ReviewVerdict(string Verdict, string? Reason, string Source);
