namespace Fleet.Streams;

/// <summary>
/// The one rule for what a worker's run of a resumed session cost: both CLIs report the session's running totals,
/// so a run is billed what it added to the total its previous run left (the baseline). The shim's exit record
/// (<see cref="ClaudeStreamReader"/>, <see cref="CodexStreamReader"/>) and the flight recorder's reading of the same
/// log both bill through here, so <c>fleet status</c> and <c>fleet usage</c> agree.
/// </summary>
public static class ResumedRun
{
    /// <summary>True when the run continued the baseline's claude session.</summary>
    public static bool IsResumed(ClaudeBaseline? baseline, string? sessionId) => baseline is { } b && sessionId is not null && b.SessionId == sessionId;

    /// <summary>
    /// A claude run's cost from the CLI's cumulative <c>total_cost_usd</c>: the difference from the baseline when it
    /// resumed the baseline's session; a CLI that does not fold earlier runs in reports less than the baseline, and
    /// then its total is the run's.
    /// </summary>
    public static decimal? ClaudeCost(decimal? total, decimal? before) =>
        total is { } t && before is { } b && t >= b ? t - b : total;

    /// <summary>
    /// A codex run's usage from the thread's cumulative total: the difference from the baseline when the run
    /// continued the baseline's thread and the total covers it; else the whole total, with the reason in
    /// <paramref name="note"/>.
    /// </summary>
    public static CodexUsage Codex(CodexUsage total, CodexBaseline? baseline, string? threadId, out string? note)
    {
        ArgumentNullException.ThrowIfNull(total);
        note = null;
        if (baseline is not { } b)
            return total;
        if (b.ThreadId is not null && threadId is not null && b.ThreadId != threadId)
        {
            note = $"baseline is for thread {b.ThreadId}, this run reported {threadId}: baseline ignored";
            return total;
        }

        if (!total.Covers(b.CumulativeUsage))
        {
            note = "baseline exceeds the reported cumulative usage: baseline ignored, the whole total is counted";
            return total;
        }

        return total.Minus(b.CumulativeUsage);
    }
}
