using Fleet.Streams;

namespace Fleet.Telemetry.Pricing;

/// <summary>Token counts of one call or a sum of calls, by the kinds prices distinguish.</summary>
public readonly record struct TokenCounts(long Input, long Output, long CacheWrite5m, long CacheWrite1h, long CacheRead)
{
    public long Total => Input + Output + CacheWrite5m + CacheWrite1h + CacheRead;
}

/// <summary>
/// The dated price table for transcripts: <see cref="PriceTable.Default"/> (Codex, OpenAI list prices) plus
/// Claude's list prices with cache writes, long-context tiers and the fast-mode multiplier. A user's price
/// file (<c>--prices FILE</c>, same format as <see cref="PriceTable.Load"/>) adds or replaces models.
/// </summary>
public static class TranscriptPrices
{
    /// <summary>The day the Claude rows were compiled.</summary>
    public static readonly DateOnly CompiledOn = new(2026, 11, 22);

    /// <summary>The long-context threshold: each token kind of one call above it is billed at the tier price.</summary>
    public const long TierThreshold = 200_000;

    private const string AnthropicList = "Anthropic API list prices per model (pricing page, read 2026-11-22); cache write 5m = 1.25 × input, 1h = 2 × input, cache read = 0.1 × input; checked against ccusage 20.0.24 --offline";

    private static readonly Lazy<PriceTable> Embedded = new(() => new PriceTable(PriceTable.Default.Prices.Concat(Claude())));

    /// <summary>The embedded table: Codex and Claude.</summary>
    public static PriceTable Default => Embedded.Value;

    /// <summary>The embedded table, or it with the models of <paramref name="path"/> added or replaced.</summary>
    public static PriceTable Load(string? path) => path is null ? Default : Default.With(path);

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

    private static IEnumerable<ModelPrice> Claude()
    {
        // (names, input, output, long-context tier?, fast multiplier)
        (string[] Names, decimal Input, decimal Output, bool Tier, decimal Fast)[] rows =
        [
            (["claude-opus-4-6"], 5m, 25m, false, 6m),
            (["claude-opus-4-5", "claude-opus-4-5-20251101"], 5m, 25m, false, 1m),
            (["claude-opus-4-1", "claude-opus-4-1-20250805"], 15m, 75m, false, 1m),
            (["claude-opus-4", "claude-opus-4-20250514"], 15m, 75m, false, 1m),
            (["claude-sonnet-4-6"], 3m, 15m, true, 1m),
            (["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"], 3m, 15m, true, 1m),
            (["claude-sonnet-4", "claude-sonnet-4-20250514"], 3m, 15m, true, 1m),
            (["claude-3-7-sonnet", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"], 3m, 15m, false, 1m),
            (["claude-3-5-sonnet", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20240620"], 3m, 15m, false, 1m),
            (["claude-haiku-4-5", "claude-haiku-4-5-20251001"], 1m, 5m, false, 1m),
            (["claude-3-5-haiku", "claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"], 0.8m, 4m, false, 1m),
            (["claude-3-haiku", "claude-3-haiku-20240307"], 0.25m, 1.25m, false, 1m),
            (["claude-3-opus", "claude-3-opus-20240229", "claude-3-opus-latest"], 15m, 75m, false, 1m),
        ];
        foreach (var (names, input, output, tier, fast) in rows)
        {
            foreach (var name in names)
            {
                yield return new ModelPrice(name, input, input * 0.1m, output, CompiledOn, AnthropicList)
                {
                    CacheWritePerMTok = input * 1.25m,
                    CacheWrite1hPerMTok = input * 2m,
                    InputAbove200kPerMTok = tier ? input * 2m : null,
                    OutputAbove200kPerMTok = tier ? output * 1.5m : null,
                    CacheWriteAbove200kPerMTok = tier ? input * 2m * 1.25m : null,
                    CachedInputAbove200kPerMTok = tier ? input * 2m * 0.1m : null,
                    FastMultiplier = fast,
                };
            }
        }
    }
}
