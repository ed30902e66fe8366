namespace Fleet.Pricing;

/// <summary>Token counts of one call or a sum of calls, by the kinds prices distinguish.</summary>
public readonly record struct TokenCounts(long Input, long Output, long CacheWrite5m, long CacheWrite1h, long CacheRead)
{
    public long Total => Input + Output + CacheWrite5m + CacheWrite1h + CacheRead;
}

/// <summary>
/// Prices transcript calls with a <see cref="ModelPrice"/> from <see cref="PriceTable"/>: cache writes by lifetime,
/// the long-context tier of each call, and the fast-mode multiplier.
/// </summary>
public static class TranscriptPrices
{
    /// <summary>The long-context threshold: each token kind of one call above it is billed at the tier price.</summary>
    public const long TierThreshold = 200_000;

    /// <summary>
    /// Cost in USD of <paramref name="below"/> tokens billed at base prices and <paramref name="above"/> tokens
    /// (the part of each kind of each call above <see cref="TierThreshold"/>) at tier prices, times the fast
    /// multiplier when <paramref name="fast"/>. Above-threshold tokens use the base price where the model has no tier.
    /// </summary>
    public static decimal Cost(ModelPrice price, TokenCounts below, TokenCounts above, bool fast)
    {
        ArgumentNullException.ThrowIfNull(price);
        var input = price.InputPerMTok;
        var cacheWrite = price.CacheWritePerMTok ?? input;
        var cacheWrite1h = price.CacheWrite1hPerMTok ?? input * 2m;
        var baseCost = (below.Input * input)
            + (below.Output * price.OutputPerMTok)
            + (below.CacheWrite5m * cacheWrite)
            + (below.CacheWrite1h * cacheWrite1h)
            + (below.CacheRead * price.CachedInputPerMTok);
        var tierCost = (above.Input * (price.InputAbove200kPerMTok ?? input))
            + (above.Output * (price.OutputAbove200kPerMTok ?? price.OutputPerMTok))
            + (above.CacheWrite5m * (price.CacheWriteAbove200kPerMTok ?? cacheWrite))
            + (above.CacheWrite1h * (price.InputAbove200kPerMTok is { } inputAbove ? inputAbove * 2m : cacheWrite1h))
            + (above.CacheRead * (price.CachedInputAbove200kPerMTok ?? price.CachedInputPerMTok));
        return (baseCost + tierCost) / 1_000_000m * (fast ? price.FastMultiplier : 1m);
    }

    /// <summary>Cost of one call: each kind split at the threshold.</summary>
    public static decimal Cost(ModelPrice price, TokenCounts call, bool fast) =>
        Cost(price, Below(call), Above(call), fast);

    public static TokenCounts Below(TokenCounts c) => new(
        Math.Min(c.Input, TierThreshold),
        Math.Min(c.Output, TierThreshold),
        Math.Min(c.CacheWrite5m, TierThreshold),
        Math.Min(c.CacheWrite1h, TierThreshold),
        Math.Min(c.CacheRead, TierThreshold));

    public static TokenCounts Above(TokenCounts c) => new(
        Math.Max(c.Input - TierThreshold, 0),
        Math.Max(c.Output - TierThreshold, 0),
        Math.Max(c.CacheWrite5m - TierThreshold, 0),
        Math.Max(c.CacheWrite1h - TierThreshold, 0),
        Math.Max(c.CacheRead - TierThreshold, 0));
}
