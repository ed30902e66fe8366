using Fleet.Pricing;
using Fleet.Reports;

namespace Fleet.Telemetry.Reports;

/// <summary>
/// One five-hour usage block, the window subscription plans reset on (as ccusage's <c>blocks</c> report): it starts
/// at the hour of its first call (UTC) and ends five hours later; the next call at or after that end, or after five
/// hours without a call, starts the next block.
/// </summary>
/// <param name="Start">The block's start: its first call's hour.</param>
/// <param name="End">Start plus five hours: when the window resets.</param>
/// <param name="FirstCall">The first call in it.</param>
/// <param name="LastCall">The last call in it.</param>
public sealed record UsageBlock(DateTimeOffset Start, DateTimeOffset End, DateTimeOffset FirstCall, DateTimeOffset LastCall)
{
    /// <summary>The label a report groups the block's calls under: its start, <c>yyyy-MM-dd HH:mm</c> UTC.</summary>
    public string Key => Start.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True while the window is open at <paramref name="now"/> and its last call is less than five hours old.</summary>
    public bool IsActive(DateTimeOffset now) => now < End && now - LastCall < UsageBlocks.Length;
}

/// <summary>What a block spent per unit of time, and where the active block is heading.</summary>
/// <param name="CostPerHourUsd">Cost over the time from the first call to the last (null when they are the same instant).</param>
/// <param name="TokensPerMinute">Tokens over that time.</param>
/// <param name="ProjectedCostUsd">The active block: its cost plus the burn rate over the time left until it ends.</param>
/// <param name="ProjectedTokens">The same for tokens.</param>
/// <param name="MinutesLeft">The active block: minutes until it ends.</param>
public sealed record BlockBurn(decimal? CostPerHourUsd, double? TokensPerMinute, decimal? ProjectedCostUsd, long? ProjectedTokens, double? MinutesLeft);

/// <summary>The block arithmetic, pure: the report feeds it call times and group sums.</summary>
public static class UsageBlocks
{
    public static readonly TimeSpan Length = TimeSpan.FromHours(5);

    /// <summary>The blocks that the call times (any order) fall into, oldest first.</summary>
    public static IReadOnlyList<UsageBlock> Of(IEnumerable<DateTimeOffset> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var blocks = new List<UsageBlock>();
        UsageBlock? current = null;
        foreach (var at in calls.Select(c => c.ToUniversalTime()).Order())
        {
            if (current is null || at >= current.End || at - current.LastCall >= Length)
            {
                if (current is not null)
                    blocks.Add(current);
                var start = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero);
                current = new UsageBlock(start, start + Length, at, at);
            }
            else
            {
                current = current with { LastCall = at };
            }
        }

        if (current is not null)
            blocks.Add(current);
        return blocks;
    }

    /// <summary>The block a call time belongs to (<paramref name="blocks"/> as <see cref="Of"/> returns them), or null.</summary>
    public static UsageBlock? Find(IReadOnlyList<UsageBlock> blocks, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        int lo = 0, hi = blocks.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (at < blocks[mid].FirstCall)
                hi = mid - 1;
            else if (at > blocks[mid].LastCall)
                lo = mid + 1;
            else
                return blocks[mid];
        }

        return null;
    }

    /// <summary>Burn rate of a block that spent <paramref name="costUsd"/> and <paramref name="tokens"/>, and the active block's projection at <paramref name="now"/>.</summary>
    public static BlockBurn Burn(UsageBlock block, decimal costUsd, long tokens, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(block);
        var minutes = (block.LastCall - block.FirstCall).TotalMinutes;
        decimal? perHour = minutes > 0 ? Math.Round(costUsd / (decimal)minutes * 60m, 6) : null;
        double? perMinute = minutes > 0 ? Math.Round(tokens / minutes, 2) : null;
        if (!block.IsActive(now))
            return new BlockBurn(perHour, perMinute, null, null, null);

        var left = Math.Max(0, (block.End - now).TotalMinutes);
        return new BlockBurn(perHour, perMinute,
            perHour is { } h ? Math.Round(costUsd + (h / 60m * (decimal)left), 6) : costUsd,
            perMinute is { } m ? tokens + (long)Math.Round(m * left) : tokens,
            Math.Round(left, 1));
    }

    /// <summary>The human table of a report by block: one line a block, burn rate, and the active block's projection.</summary>
    public static string Table(UsageReportJson report) => Human(report).Plain();

    /// <summary>The same as data: on a narrow terminal the projection and rate columns go first.</summary>
    public static HumanTable Human(UsageReportJson report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Fleet.Reports.TableColumn[] head =
        [
            new("block (UTC)"), new("state", Toned: true), new("tokens", Right: true), new("cost", Right: true),
            new("$/hour", Right: true, DropOrder: 1), new("tokens/min", Right: true, DropOrder: 2),
            new("projected cost", Right: true, DropOrder: 3), new("projected tokens", Right: true, DropOrder: 4),
        ];
        var rows = report.Rows.Select(r => new TableRow(r.Block is not { } b
            ? new[] { r.Key, "", r.TotalTokens.ToString("N0", inv), Usd.Cents(r.CostUsd), "", "", "", "" }
            : [
                b.Start.UtcDateTime.ToString("yyyy-MM-dd HH:mm", inv) + "–" + b.End.UtcDateTime.ToString("HH:mm", inv),
                b.Active ? string.Create(inv, $"active, {b.Burn.MinutesLeft:0} min left") : "ended",
                r.TotalTokens.ToString("N0", inv),
                Usd.Cents(r.CostUsd),
                b.Burn.CostPerHourUsd is { } h ? Usd.Cents(h) : "-",
                b.Burn.TokensPerMinute is { } m ? m.ToString("N0", inv) : "-",
                b.Burn.ProjectedCostUsd is { } pc ? Usd.Cents(pc) : "",
                b.Burn.ProjectedTokens is { } pt ? pt.ToString("N0", inv) : "",
            ])).ToList();
        rows.Add(new(["total", "", report.Totals.TotalTokens.ToString("N0", inv), Usd.Cents(report.Totals.CostUsd), "", "", "", ""], RowKind.Total));
        return new HumanTable(head, rows);
    }
}
