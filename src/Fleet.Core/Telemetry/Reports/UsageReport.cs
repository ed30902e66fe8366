using System.Globalization;
using System.Text.Json.Serialization;
using Fleet.Streams;
using Fleet.Telemetry.Pricing;
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
    IReadOnlyList<UsageModelRow> Models);

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
    string PricesAsOf);

/// <summary>
/// Usage and cost from the store's deduplicated model calls. Costs are computed at report time from the
/// price table in force (so <c>--prices FILE</c> reprices everything already ingested); each token kind of
/// each call is split at the 200K long-context threshold in SQL, so the tiers are exact without reading rows.
/// Calls that carry their own cost (Claude stream-json <c>costUSD</c>) keep it.
/// </summary>
public static class UsageReport
{
    public static async Task<UsageReportJson> BuildAsync(TelemetryStore store, UsageGrouping by, DateOnly? since, DateOnly? until, PriceTable prices, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(prices);
        var key = by switch
        {
            UsageGrouping.Day => "strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
            UsageGrouping.Model => "model",
            UsageGrouping.Session => "session_id",
            UsageGrouping.Project => "project",
            UsageGrouping.Fleet => "fleet",
            _ => "CASE WHEN worker IS NULL THEN NULL ELSE COALESCE(fleet, '-') || '/' || worker END",
        };
        const long T = TranscriptPrices.TierThreshold;
        var sql = $"""
            SELECT {key}, provider, COALESCE(model, '?'), fast, reported_cost IS NOT NULL, COUNT(*),
              SUM(input), SUM(output), SUM(cache_write_5m), SUM(cache_write_1h), SUM(cache_read), SUM(reasoning),
              SUM(MIN(input, {T})), SUM(MIN(output, {T})), SUM(MIN(cache_write_5m, {T})), SUM(MIN(cache_write_1h, {T})), SUM(MIN(cache_read, {T})),
              SUM(reported_cost)
            FROM model_calls
            WHERE ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts < $until)
            GROUP BY 1, 2, 3, 4, 5
            """;
        await using var command = store.Connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$since", since is { } s ? new DateTimeOffset(s.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds() : DBNull.Value);
        command.Parameters.AddWithValue("$until", until is { } u ? new DateTimeOffset(u.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds() : DBNull.Value);

        var groups = new SortedDictionary<string, Dictionary<(string, string), Accumulator>>(StringComparer.Ordinal);
        var unpriced = new SortedSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var group = reader.IsDBNull(0) ? "(none)" : Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!;
                var provider = reader.GetString(1);
                var model = reader.GetString(2);
                var fast = reader.GetInt64(3) != 0;
                var reported = reader.GetInt64(4) != 0;
                var all = new TokenCounts(reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10));
                var below = new TokenCounts(reader.GetInt64(12), reader.GetInt64(13), reader.GetInt64(14), reader.GetInt64(15), reader.GetInt64(16));
                var above = new TokenCounts(all.Input - below.Input, all.Output - below.Output, all.CacheWrite5m - below.CacheWrite5m, all.CacheWrite1h - below.CacheWrite1h, all.CacheRead - below.CacheRead);

                decimal? cost;
                if (reported)
                {
                    cost = (decimal)reader.GetDouble(17);
                }
                else if (prices.Find(model) is { } price)
                {
                    cost = TranscriptPrices.Cost(price, below, above, fast);
                }
                else
                {
                    cost = all.Total == 0 ? 0m : null;
                    if (cost is null)
                        unpriced.Add(model);
                }

                if (!groups.TryGetValue(group, out var models))
                    groups[group] = models = [];
                if (!models.TryGetValue((provider, model), out var acc))
                    models[(provider, model)] = acc = new Accumulator(provider, model);
                acc.Add(reader.GetInt64(5), all, reader.GetInt64(11), cost);
            }
        }

        var rows = groups.Select(g => Row(g.Key, g.Value.Values)).ToList();
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
        return new UsageReportJson(
            Schema.TelemetrySchema.Version,
            by.ToString().ToLowerInvariant(),
            since?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            store.Path,
            rows,
            totals,
            byModel,
            [.. unpriced],
            TranscriptPrices.CompiledOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(UsageReportJson))]
public sealed partial class UsageJsonContext : JsonSerializerContext;
