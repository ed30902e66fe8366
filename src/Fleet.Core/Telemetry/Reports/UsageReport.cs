using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using Fleet.Pricing;
using Fleet.Telemetry.Store;

namespace Fleet.Telemetry.Reports;

/// <summary>What a usage report groups by.</summary>
public enum UsageGrouping
{
    Day,
    Model,
    Session,
    Project,
    Fleet,
    Worker,

    /// <summary>Five-hour blocks, the window plans reset on (<see cref="UsageBlocks"/>).</summary>
    Block,
}

/// <summary>Tokens by kind and cost for one model within a group. Input excludes cache reads and writes (Codex: input minus cached).</summary>
public sealed record UsageModelRow(
    string Provider,
    string Model,
    long Calls,
    long InputTokens,
    long OutputTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    long ReasoningOutputTokens,
    long TotalTokens,
    decimal? CostUsd);

/// <summary>One group (a day, a session …) with its models.</summary>
public sealed record UsageRow(
    string Key,
    long InputTokens,
    long OutputTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    long ReasoningOutputTokens,
    long TotalTokens,
    decimal CostUsd,
    IReadOnlyList<UsageModelRow> Models)
{
    /// <summary>A five-hour block's times, burn rate and (the active one) projection; null for other groupings.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UsageBlockInfo? Block { get; init; }
}

/// <summary>A five-hour block as a usage row shows it.</summary>
public sealed record UsageBlockInfo(DateTimeOffset Start, DateTimeOffset End, DateTimeOffset FirstCall, DateTimeOffset LastCall, bool Active, BlockBurn Burn);

public sealed record UsageTotals(
    long InputTokens,
    long OutputTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    long ReasoningOutputTokens,
    long TotalTokens,
    decimal CostUsd);

/// <summary>The <c>fleet usage</c> report (its <c>--json</c> shape, snake_case).</summary>
public sealed record UsageReportJson(
    int SchemaVersion,
    string By,
    string? Since,
    string? Until,
    string Db,
    IReadOnlyList<UsageRow> Rows,
    UsageTotals Totals,
    IReadOnlyList<UsageModelRow> ByModel,
    IReadOnlyList<string> UnpricedModels,
    string PricesAsOf)
{
    /// <summary>True when rehearsal runs' usage (no spend) is counted too (<c>--include-rehearsal</c>).</summary>
    public bool IncludesRehearsal { get; init; }
}

/// <summary>
/// Usage and cost from the store's deduplicated model calls. Costs are computed at report time from the
/// price table in force (so <c>--prices FILE</c> reprices everything already ingested); each token kind of
/// each call is split at the 200K long-context threshold as it is summed, so the tiers are exact.
/// Calls that carry their own cost (Claude stream-json <c>costUSD</c>) keep it.
/// </summary>
public static class UsageReport
{
    /// <param name="includeRehearsal">Count rehearsal runs' usage too (it is no spend, so it is left out by default).</param>
    /// <param name="now">When the report is made: which five-hour block is active, and its projection.</param>
    public static Task<UsageReportJson> BuildAsync(TelemetryStore store, UsageGrouping by, DateOnly? since, DateOnly? until, PriceTable prices, CancellationToken cancellationToken, bool includeRehearsal = false, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(prices);
        var sinceMs = since is { } s0 ? new DateTimeOffset(s0.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds() : (long?)null;
        var untilMs = until is { } u0 ? new DateTimeOffset(u0.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds() : (long?)null;
        var filter = "(?1 IS NULL OR ts >= ?1) AND (?2 IS NULL OR ts < ?2)" + (includeRehearsal ? "" : " AND rehearsal = 0");
        IReadOnlyList<UsageBlock> blocks = [];
        if (by == UsageGrouping.Block)
        {
            var times = new List<DateTimeOffset>();
            using var timesQuery = new RawStatement(store.Connection, $"SELECT ts FROM model_calls WHERE ts IS NOT NULL AND {filter}");
            timesQuery.Add(sinceMs);
            timesQuery.Add(untilMs);
            while (timesQuery.Read())
                times.Add(DateTimeOffset.FromUnixTimeMilliseconds(timesQuery.GetInt64(0)));
            blocks = UsageBlocks.Of(times);
        }

        // Rows are read plainly and summed here: SQLite's GROUP BY sorts every row with all its aggregate inputs
        // first, which costs more than the whole read.
        var key = by switch
        {
            UsageGrouping.Day => "ts",
            UsageGrouping.Model => "model",
            UsageGrouping.Session => "session_id",
            UsageGrouping.Project => "project",
            UsageGrouping.Fleet => "fleet",
            UsageGrouping.Block => "ts",
            _ => "CASE WHEN worker IS NULL THEN NULL ELSE COALESCE(fleet, '-') || '/' || worker END",
        };
        var sql = $"""
            SELECT {key}, provider, COALESCE(model, '?'), fast, reported_cost, input, output, cache_write_5m, cache_write_1h, cache_read, reasoning
            FROM model_calls
            WHERE {filter}
            """;
        var sums = new Dictionary<SumKey, Sum>();
        var days = new Dictionary<long, string>();
        ref var current = ref Unsafe.NullRef<Sum>();
        var last = default(SumKey);
        var lastDay = long.MinValue;
        string? lastDayText = null;
        using (var query = new RawStatement(store.Connection, sql))
        {
            query.Add(sinceMs);
            query.Add(untilMs);
            while (query.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                string group;
                if (query.IsNull(0))
                {
                    group = "(none)";
                }
                else if (by == UsageGrouping.Day)
                {
                    // Whole seconds truncated toward zero, then the UTC day, as strftime(ts / 1000, 'unixepoch') does.
                    var seconds = query.GetInt64(0) / 1000;
                    var day = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400);
                    if (day != lastDay)
                    {
                        if (!days.TryGetValue(day, out lastDayText))
                            days[day] = lastDayText = DateOnly.FromDayNumber(UnixEpochDay + (int)day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                        lastDay = day;
                    }

                    group = lastDayText!;
                }
                else if (by == UsageGrouping.Block)
                {
                    group = UsageBlocks.Find(blocks, DateTimeOffset.FromUnixTimeMilliseconds(query.GetInt64(0)))?.Key ?? "(none)";
                }
                else
                {
                    group = query.GetRepeatedText(0)!;
                }

                // Consecutive rows mostly share their key (rows come in file order): the last row's sum is taken again
                // without a lookup. Its reference stays valid because nothing was added to the dictionary since.
                var reported = !query.IsNull(4);
                var rowKey = new SumKey(group, query.GetRepeatedText(1)!, query.GetRepeatedText(2)!, query.GetInt64(3) != 0, reported);
                if (Unsafe.IsNullRef(ref current) || !last.SameAs(rowKey))
                {
                    current = ref CollectionsMarshal.GetValueRefOrAddDefault(sums, rowKey, out _);
                    last = rowKey;
                }

                current.Add(new TokenCounts(query.GetInt64(5), query.GetInt64(6), query.GetInt64(7), query.GetInt64(8), query.GetInt64(9)), query.GetInt64(10), reported ? query.GetDouble(4) : 0);
            }
        }

        var groups = new SortedDictionary<string, Dictionary<(string, string), Accumulator>>(StringComparer.Ordinal);
        var unpriced = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (k, sum) in sums)
        {
            var above = new TokenCounts(sum.All.Input - sum.Below.Input, sum.All.Output - sum.Below.Output, sum.All.CacheWrite5m - sum.Below.CacheWrite5m, sum.All.CacheWrite1h - sum.Below.CacheWrite1h, sum.All.CacheRead - sum.Below.CacheRead);
            decimal? cost;
            if (k.Reported)
            {
                cost = (decimal)sum.ReportedCost;
            }
            else if (prices.Find(k.Model) is { } price)
            {
                cost = TranscriptPrices.Cost(price, sum.Below, above, k.Fast);
            }
            else
            {
                cost = sum.All.Total == 0 ? 0m : null;
                if (cost is null)
                    unpriced.Add(k.Model);
            }

            if (!groups.TryGetValue(k.Group, out var models))
                groups[k.Group] = models = [];
            if (!models.TryGetValue((k.Provider, k.Model), out var acc))
                models[(k.Provider, k.Model)] = acc = new Accumulator(k.Provider, k.Model);
            acc.Add(sum.Calls, sum.All, sum.Reasoning, cost);
        }

        var rows = groups.Select(g => Row(g.Key, g.Value.Values)).ToList();
        if (by == UsageGrouping.Block)
        {
            var at = now ?? DateTimeOffset.UtcNow;
            var byKey = blocks.ToDictionary(b => b.Key, StringComparer.Ordinal);
            rows = [.. rows.Select(r => byKey.TryGetValue(r.Key, out var b)
                ? r with { Block = new UsageBlockInfo(b.Start, b.End, b.FirstCall, b.LastCall, b.IsActive(at), UsageBlocks.Burn(b, r.CostUsd, r.TotalTokens, at)) }
                : r)];
        }

        var byModel = groups.Values.SelectMany(m => m.Values)
            .GroupBy(a => (a.Provider, a.Model))
            .Select(g => g.Aggregate(new Accumulator(g.Key.Provider, g.Key.Model), (total, a) => total.Merge(a)).ToRow())
            .OrderBy(m => m.Provider, StringComparer.Ordinal).ThenBy(m => m.Model, StringComparer.Ordinal)
            .ToList();
        var totals = new UsageTotals(
            rows.Sum(r => r.InputTokens),
            rows.Sum(r => r.OutputTokens),
            rows.Sum(r => r.CacheCreationTokens),
            rows.Sum(r => r.CacheReadTokens),
            rows.Sum(r => r.ReasoningOutputTokens),
            rows.Sum(r => r.TotalTokens),
            rows.Sum(r => r.CostUsd));
        return Task.FromResult(new UsageReportJson(
            Schema.TelemetrySchema.Version,
            by.ToString().ToLowerInvariant(),
            since?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            store.Path,
            rows,
            totals,
            byModel,
            [.. unpriced],
            PriceTable.CompiledOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) { IncludesRehearsal = includeRehearsal });
    }

    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private readonly record struct SumKey(string Group, string Provider, string Model, bool Fast, bool Reported)
    {
        /// <summary>The same key, told by reference: each text comes from a per-column cache (<see cref="RawStatement.GetRepeatedText"/>) or the days' table.</summary>
        public bool SameAs(SumKey other) => ReferenceEquals(Group, other.Group) && ReferenceEquals(Provider, other.Provider)
            && ReferenceEquals(Model, other.Model) && Fast == other.Fast && Reported == other.Reported;
    }

    /// <summary>One group's calls of one model, each token kind also summed up to the long-context threshold (the rest is above it).</summary>
    private struct Sum
    {
        public long Calls;
        public TokenCounts All;
        public TokenCounts Below;
        public long Reasoning;
        public double ReportedCost;

        public void Add(TokenCounts tokens, long reasoning, double reportedCost)
        {
            const long T = TranscriptPrices.TierThreshold;
            Calls++;
            All = new TokenCounts(All.Input + tokens.Input, All.Output + tokens.Output, All.CacheWrite5m + tokens.CacheWrite5m, All.CacheWrite1h + tokens.CacheWrite1h, All.CacheRead + tokens.CacheRead);
            Below = new TokenCounts(
                Below.Input + Math.Min(tokens.Input, T),
                Below.Output + Math.Min(tokens.Output, T),
                Below.CacheWrite5m + Math.Min(tokens.CacheWrite5m, T),
                Below.CacheWrite1h + Math.Min(tokens.CacheWrite1h, T),
                Below.CacheRead + Math.Min(tokens.CacheRead, T));
            Reasoning += reasoning;
            ReportedCost += reportedCost;
        }
    }

    private static UsageRow Row(string key, IEnumerable<Accumulator> models)
    {
        var list = models.Select(m => m.ToRow()).OrderByDescending(m => m.CostUsd ?? 0m).ThenBy(m => m.Model, StringComparer.Ordinal).ToList();
        return new UsageRow(
            key,
            list.Sum(m => m.InputTokens),
            list.Sum(m => m.OutputTokens),
            list.Sum(m => m.CacheCreationTokens),
            list.Sum(m => m.CacheReadTokens),
            list.Sum(m => m.ReasoningOutputTokens),
            list.Sum(m => m.TotalTokens),
            list.Sum(m => m.CostUsd ?? 0m),
            list);
    }

    private sealed class Accumulator(string provider, string model)
    {
        public string Provider { get; } = provider;

        public string Model { get; } = model;

        private long _calls, _input, _output, _cacheCreation, _cacheRead, _reasoning;
        private decimal _cost;
        private bool _unpriced;

        public void Add(long calls, TokenCounts tokens, long reasoning, decimal? cost)
        {
            _calls += calls;
            _input += tokens.Input;
            _output += tokens.Output;
            _cacheCreation += tokens.CacheWrite5m + tokens.CacheWrite1h;
            _cacheRead += tokens.CacheRead;
            _reasoning += reasoning;
            if (cost is { } c)
                _cost += c;
            else
                _unpriced = true;
        }

        public Accumulator Merge(Accumulator other)
        {
            _calls += other._calls;
            _input += other._input;
            _output += other._output;
            _cacheCreation += other._cacheCreation;
            _cacheRead += other._cacheRead;
            _reasoning += other._reasoning;
            _cost += other._cost;
            _unpriced |= other._unpriced;
            return this;
        }

        public UsageModelRow ToRow() => new(
            Provider,
            Model,
            _calls,
            _input,
            _output,
            _cacheCreation,
            _cacheRead,
            _reasoning,
            _input + _output + _cacheCreation + _cacheRead,
            _unpriced ? null : decimal.Round(_cost, 10));
    }
}

// Serialization only: the generated writer is used directly, without building the serializer's property metadata
// first (most of a report's JSON time was the JIT building that metadata).
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(UsageReportJson))]
public sealed partial class UsageJsonContext : JsonSerializerContext;
