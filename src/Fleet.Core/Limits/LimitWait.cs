namespace Fleet.Limits;

/// <summary>How long fleet waits out limits: transient ones back off exponentially, within bounds.</summary>
/// <param name="BackoffBase">The first wait after a rate limit or overload that names no reset.</param>
/// <param name="BackoffMax">The longest such wait.</param>
/// <param name="LongestReset">A named reset further away than this is not waited for (the message is not believed).</param>
/// <param name="MaxLimits">How many limits one (worker, iteration) may meet; at the next one it fails.</param>
public sealed record LimitPolicy(TimeSpan BackoffBase, TimeSpan BackoffMax, TimeSpan LongestReset, int MaxLimits)
{
    /// <summary>1 minute doubling to 30, a week and a day for named resets (weekly limits), 6 limits.</summary>
    public static LimitPolicy Default { get; } = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), TimeSpan.FromDays(8), 6);
}

/// <summary>What to do about a worker that ended on a limit.</summary>
/// <param name="Until">When to continue its session; null means do not: it fails with <paramref name="Reason"/>.</param>
/// <param name="Reason">In words, for the journal and status.</param>
public sealed record LimitDecision(DateTimeOffset? Until, string Reason);

/// <summary>The wait decision, a pure function of the limit, when it was met and how many came before.</summary>
public static class LimitWait
{
    /// <param name="hit">The limit.</param>
    /// <param name="endedAt">When the limited run ended.</param>
    /// <param name="limitsBefore">Limits this (worker, iteration) met before this one.</param>
    /// <param name="policy">The bounds.</param>
    public static LimitDecision Decide(LimitHit hit, DateTimeOffset endedAt, int limitsBefore, LimitPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(hit);
        ArgumentNullException.ThrowIfNull(policy);
        if (limitsBefore + 1 > policy.MaxLimits)
        {
            return new LimitDecision(null, $"{hit.Name} again: {limitsBefore + 1} limits in this iteration, more than {policy.MaxLimits}");
        }

        if (hit.ResetsAt is { } reset)
        {
            if (reset - endedAt > policy.LongestReset)
            {
                return new LimitDecision(null, $"{hit.Name} resets at {reset:u}, further away than fleet waits ({policy.LongestReset.TotalDays:0.#} days)");
            }

            return new LimitDecision(reset < endedAt ? endedAt : reset, $"{hit.Name}: waiting for its reset");
        }

        if (hit.Kind == LimitKind.UsageLimit)
        {
            // A usage limit whose reset did not parse: back off as for a transient one rather than guess a time.
            return new LimitDecision(endedAt + Backoff(limitsBefore, policy), $"{hit.Name} with no reset time: backing off");
        }

        return new LimitDecision(endedAt + Backoff(limitsBefore, policy), $"{hit.Name}: backing off");
    }

    /// <summary>base × 2^n, at most the policy's maximum.</summary>
    public static TimeSpan Backoff(int limitsBefore, LimitPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var factor = Math.Pow(2, Math.Clamp(limitsBefore, 0, 30));
        var ticks = Math.Min(policy.BackoffBase.Ticks * factor, policy.BackoffMax.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
