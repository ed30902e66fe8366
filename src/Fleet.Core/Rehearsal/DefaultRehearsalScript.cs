namespace Fleet.Rehearsal;

/// <summary>
/// The script used when a fleet is rehearsed without one: every code-run worker writes a small file and
/// finishes with a text; a reviewer writes <c>iterations/N/review.md</c> with <c>verdict: iterate</c> in
/// iteration 1 and <c>verdict: lgtm</c> from iteration 2 on, then finishes.
/// </summary>
public static class DefaultRehearsalScript
{
    /// <summary>Where the reviewer writes its verdict, relative to its working directory (the fleet root).</summary>
    public const string ReviewPath = "iterations/{iteration}/review.md";

    /// <summary>The file a code-run worker writes, relative to its working directory.</summary>
    public const string WorkerFilePath = "rehearsal/{worker}.iteration-{iteration}.txt";

    /// <param name="reviewerIds">Ids of the fleet's reviewer workers.</param>
    /// <param name="reviewPath">Where reviewers write the verdict; placeholders as in scripts.</param>
    public static RehearsalScript Create(IEnumerable<string> reviewerIds, string reviewPath = ReviewPath)
    {
        ArgumentNullException.ThrowIfNull(reviewerIds);
        var usage = new RehearsalUsage(InputTokens: 1200, OutputTokens: 80, CacheCreationInputTokens: 300, CacheReadInputTokens: 2000);
        var rules = new List<RehearsalRule>();
        foreach (var reviewer in reviewerIds.Distinct(StringComparer.Ordinal))
        {
            rules.Add(new RehearsalRule(
                [
                    new WriteFileTurn(reviewPath, "verdict: iterate\n\n- rehearsal: one more pass, please.\n") { Usage = usage },
                    new TextTurn("Review written: verdict iterate.") { Usage = usage },
                ],
                Worker: Literal(reviewer),
                Iteration: IterationMatch.Exactly(1)));
            rules.Add(new RehearsalRule(
                [
                    new WriteFileTurn(reviewPath, "verdict: lgtm\n\nRehearsal review: everything looks good.\n") { Usage = usage },
                    new TextTurn("Review written: verdict lgtm.") { Usage = usage },
                ],
                Worker: Literal(reviewer),
                Iteration: IterationMatch.FromOn(2)));
        }

        rules.Add(new RehearsalRule(
            [
                new WriteFileTurn(WorkerFilePath, "rehearsed by {worker} of {fleet} in iteration {iteration}\n") { Usage = usage },
                new TextTurn("Done: wrote the rehearsal file.") { Usage = usage },
            ]));
        return new RehearsalScript(rules);
    }

    // Worker ids are plain names; a '*' or '?' in one would turn into a wildcard, so refuse them.
    private static string Literal(string id) =>
        id.AsSpan().IndexOfAny('*', '?') < 0 ? id : throw new ArgumentException($"reviewer id '{id}' contains a wildcard character");
}
