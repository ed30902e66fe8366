using Fleet.Pricing;

namespace Fleet.Streams;

/// <summary>Prices a Codex run's usage.</summary>
public static class CodexUsagePricing
{
    /// <summary>
    /// Cost of <paramref name="usage"/>: uncached input at the input price, cached input at the cached price,
    /// output (reasoning included, never added twice) at the output price. Cache writes are part of input
    /// (observed 0 in practice) and are billed as input.
    /// </summary>
    public static decimal Cost(this ModelPrice price, CodexUsage usage)
    {
        ArgumentNullException.ThrowIfNull(price);
        ArgumentNullException.ThrowIfNull(usage);
        return price.Cost(usage.UncachedInputTokens, usage.CachedInputTokens, usage.OutputTokens);
    }
}
