using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Fleet.Pricing;

/// <summary>
/// One model's list prices, USD per 1M tokens, with where and when they were read. <c>AsOf</c> is the date
/// the source states (or, for an undated page, the day we read it).
/// </summary>
public sealed record ModelPrice(
    string Model,
    decimal InputPerMTok,
    decimal CachedInputPerMTok,
    decimal OutputPerMTok,
    DateOnly AsOf,
    string Source)
{
    /// <summary>
    /// Cost of a call without cache writes or tiers (a Codex run): uncached input at the input price, cached
    /// input at the cached price, output at the output price.
    /// </summary>
    public decimal Cost(long uncachedInputTokens, long cachedInputTokens, long outputTokens) =>
        ((uncachedInputTokens * InputPerMTok)
            + (cachedInputTokens * CachedInputPerMTok)
            + (outputTokens * OutputPerMTok)) / 1_000_000m;

    // Transcript pricing (Claude cache writes, long-context tiers, fast mode). Optional: Codex stream
    // pricing never reads them, and a table entry without them prices writes at the input price.

    /// <summary>Cache writes with a 5-minute lifetime (Claude: 1.25 × input); null means the input price.</summary>
    public decimal? CacheWritePerMTok { get; init; }

    /// <summary>Cache writes with a 1-hour lifetime (Claude: 2 × input); null means 2 × the input price.</summary>
    public decimal? CacheWrite1hPerMTok { get; init; }

    /// <summary>Per-token-kind prices above 200K tokens of one call (Claude long context); null: no tier.</summary>
    public decimal? InputAbove200kPerMTok { get; init; }

    public decimal? OutputAbove200kPerMTok { get; init; }

    public decimal? CacheWriteAbove200kPerMTok { get; init; }

    public decimal? CachedInputAbove200kPerMTok { get; init; }

    /// <summary>Multiplier for calls made in fast mode (Claude <c>usage.speed:"fast"</c>).</summary>
    public decimal FastMultiplier { get; init; } = 1m;
}

/// <summary>
/// The one dated table of token prices: OpenAI's for Codex streams and Google's for Gemini streams (which carry no
/// cost), and Anthropic's for
/// transcripts (with cache writes, long-context tiers and the fast-mode multiplier; a Claude stream reports its
/// own <c>total_cost_usd</c> and is not priced from here).
/// <para>
/// The OpenAI rows are the standard tier, short context (under 272K/270K input), as published; batch,
/// flex, priority, data-residency and long-context rates are not modelled. ccusage prices the same models
/// from LiteLLM's <c>model_prices_and_context_window.json</c> with models.dev as fallback;
/// we embed a dated table instead so a run is reproducible offline. Users override or extend it with
/// <see cref="Load"/>. A model not in the table has no price: callers report cost unknown, never a guess.
/// </para>
/// </summary>
public sealed partial class PriceTable
{
    /// <summary>The day the embedded table was compiled (its newest rows were read then).</summary>
    public static readonly DateOnly CompiledOn = new(2026, 11, 22);

    private const string GptCodexPage = "developers.openai.com/api/docs/models/gpt-5-codex (stored copy read 2026-11-21; the page lists the model as shut down)";
    private const string CodingCosts = "fernando-nog.netlify.app/gpt-coding-model-costs-2026 (snapshot of OpenAI API pricing, 2026-05-05)";
    private const string ApiCost2026 = "tokenmix.ai/blog/openai-api-cost-2026-gpt-5-5-5-4-nano-batch (OpenAI pricing page, verified 2026-06-04; standard tier, short context)";
    private const string CodexRateCard = "OpenAI Help Center Codex rate card via docs.rs/crate/codex-ops/0.1.3 data/codex-rate-card.json (checked 2026-05-13; 25 credits = $1); same in github/docs copilot models-and-pricing.yml";
    private const string CopilotTable = "github/docs data/tables/copilot/models-and-pricing.yml (undated; read 2026-11-21)";
    private const string AnthropicList = "Anthropic API list prices per model (pricing page, read 2026-11-22); cache write 5m = 1.25 × input, 1h = 2 × input, cache read = 0.1 × input; checked against ccusage 20.0.24 --offline";

    private const string GeminiPricing = "Gemini API pricing, standard tier, prompts up to 200K tokens (ai.google.dev/gemini-api/docs/pricing as quoted by cloudprice.net and blog.laozhang.ai, rechecked 2026-03-28; read 2026-12-07); thinking tokens are billed as output";

    private static readonly DateOnly Read = new(2026, 11, 21);
    private static readonly DateOnly Mar28 = new(2026, 3, 28);
    private static readonly DateOnly May05 = new(2026, 5, 5);
    private static readonly DateOnly May13 = new(2026, 5, 13);
    private static readonly DateOnly Jun04 = new(2026, 6, 4);
    private static readonly DateOnly Nov22 = new(2026, 11, 22);

    /// <summary>The embedded, dated table.</summary>
    public static PriceTable Default { get; } = new(
    [
        new("gpt-5-codex", 1.25m, 0.125m, 10.00m, Read, GptCodexPage),
        new("gpt-5", 1.25m, 0.125m, 10.00m, Read, "same page: its comparison lists GPT-5 input at $1.25 like GPT-5-Codex; output $10 per docs.rs/crate/openai-cost 0.1.0 (2026-Q2); cached = 10% of input as for the GPT-5 family"),
        new("gpt-5-mini", 0.25m, 0.025m, 2.00m, Read, CopilotTable),
        new("gpt-5.1-codex", 1.25m, 0.125m, 10.00m, May05, CodingCosts),
        new("gpt-5.1-codex-max", 1.25m, 0.125m, 10.00m, May05, CodingCosts),
        new("gpt-5.2", 1.75m, 0.175m, 14.00m, May13, CodexRateCard),
        new("gpt-5.2-codex", 1.75m, 0.175m, 14.00m, May05, CodingCosts),
        new("gpt-5.3-codex", 1.75m, 0.175m, 14.00m, May05, CodingCosts),
        new("gpt-5.4", 2.50m, 0.25m, 15.00m, Jun04, ApiCost2026),
        new("gpt-5.4-mini", 0.75m, 0.075m, 4.50m, Jun04, ApiCost2026),
        new("gpt-5.4-nano", 0.20m, 0.02m, 1.25m, Jun04, ApiCost2026),
        new("gpt-5.5", 5.00m, 0.50m, 30.00m, Jun04, ApiCost2026),
        new("gemini-3.1-pro-preview", 2.00m, 0.20m, 12.00m, Mar28, GeminiPricing),
        new("gemini-2.5-pro", 1.25m, 0.125m, 10.00m, Mar28, GeminiPricing),
        new("gemini-2.5-flash", 0.30m, 0.03m, 2.50m, Mar28, GeminiPricing),
        .. Claude(),
    ]);

    private readonly FrozenDictionary<string, ModelPrice> _prices;

    public PriceTable(IEnumerable<ModelPrice> prices)
    {
        ArgumentNullException.ThrowIfNull(prices);
        var map = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in prices)
            map[Normalize(p.Model)] = p;
        _prices = map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<ModelPrice> Prices => _prices.Values;

    /// <summary>
    /// The price of <paramref name="model"/>: exact name (case-insensitive), else the name without a dated
    /// snapshot suffix (<c>gpt-5-2025-08-07</c> → <c>gpt-5</c>). No prefix or family guessing.
    /// </summary>
    public ModelPrice? Find(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var key = Normalize(model);
        if (_prices.TryGetValue(key, out var price))
            return price;
        var undated = DatedSuffix().Replace(key, "");
        return undated != key && _prices.TryGetValue(undated, out price) ? price : null;
    }

    /// <summary>
    /// <see cref="Default"/> with the models of a user's price file added or replaced. The file:
    /// <c>{"models": {"gpt-5-codex": {"input": 1.25, "cached_input": 0.125, "output": 10, "as_of": "2026-11-21", "source": "…"}}}</c>;
    /// <c>cached_input</c> defaults to <c>input</c> (no discount), <c>as_of</c> to the file's date, <c>source</c> to its path.
    /// Optional for transcript pricing: <c>cache_write</c>, <c>cache_write_1h</c>, <c>input_above_200k</c>,
    /// <c>output_above_200k</c>, <c>cache_write_above_200k</c>, <c>cached_input_above_200k</c>, <c>fast_multiplier</c>.
    /// Unknown keys, missing or negative prices are errors (<see cref="InvalidDataException"/> naming the file).
    /// </summary>
    public static PriceTable Load(string? path) => path is null ? Default : Default.With(path);

    /// <summary>This table with the models of the price file at <paramref name="path"/> added or replaced.</summary>
    public PriceTable With(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        PriceFile? file;
        try
        {
            Paths.InputFiles.Require(path, path);
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, PriceFileJsonContext.Default.PriceFile);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $":{line + 1}:{e.BytePositionInLine + 1}") : "";
            throw new InvalidDataException($"{path}{where}: not a valid price file: {e.Message}", e);
        }

        if (file?.Models is not { } models)
            throw new InvalidDataException($"{path}: a price file needs a \"models\" object");

        var asOf = DateOnly.FromDateTime(File.GetLastWriteTimeUtc(path));
        var merged = _prices.Values.ToDictionary(p => Normalize(p.Model), StringComparer.OrdinalIgnoreCase);
        foreach (var (model, entry) in models)
        {
            if (entry is null || entry.Input is not { } input || entry.Output is not { } output)
                throw new InvalidDataException($"{path}: models.{model} needs \"input\" and \"output\" (USD per 1M tokens)");
            var cached = entry.CachedInput ?? input;
            if (input < 0 || output < 0 || cached < 0)
                throw new InvalidDataException($"{path}: models.{model} has a negative price");
            merged[Normalize(model)] = new ModelPrice(model, input, cached, output, entry.AsOf ?? asOf, entry.Source ?? path)
            {
                CacheWritePerMTok = entry.CacheWrite,
                CacheWrite1hPerMTok = entry.CacheWrite1h,
                InputAbove200kPerMTok = entry.InputAbove200k,
                OutputAbove200kPerMTok = entry.OutputAbove200k,
                CacheWriteAbove200kPerMTok = entry.CacheWriteAbove200k,
                CachedInputAbove200kPerMTok = entry.CachedInputAbove200k,
                FastMultiplier = entry.FastMultiplier ?? 1m,
            };
        }

        return new PriceTable(merged.Values);
    }

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
                yield return new ModelPrice(name, input, input * 0.1m, output, Nov22, AnthropicList)
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

    private static string Normalize(string model) => model.Trim().ToLowerInvariant();

    [GeneratedRegex(@"-\d{4}-\d{2}-\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatedSuffix();
}

/// <summary>The user's price file, as written (snake_case).</summary>
internal sealed class PriceFile
{
    public Dictionary<string, PriceFileEntry?>? Models { get; set; }
}

internal sealed class PriceFileEntry
{
    public decimal? Input { get; set; }

    public decimal? CachedInput { get; set; }

    public decimal? Output { get; set; }

    public DateOnly? AsOf { get; set; }

    public string? Source { get; set; }

    public decimal? CacheWrite { get; set; }

    [JsonPropertyName("cache_write_1h")]
    public decimal? CacheWrite1h { get; set; }

    [JsonPropertyName("input_above_200k")]
    public decimal? InputAbove200k { get; set; }

    [JsonPropertyName("output_above_200k")]
    public decimal? OutputAbove200k { get; set; }

    [JsonPropertyName("cache_write_above_200k")]
    public decimal? CacheWriteAbove200k { get; set; }

    [JsonPropertyName("cached_input_above_200k")]
    public decimal? CachedInputAbove200k { get; set; }

    public decimal? FastMultiplier { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(PriceFile))]
internal sealed partial class PriceFileJsonContext : JsonSerializerContext;
