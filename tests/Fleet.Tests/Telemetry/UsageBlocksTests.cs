using Fleet.Telemetry.Reports;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

/// <summary>Five-hour blocks: the arithmetic as a table, and the human table as a golden file.</summary>
public sealed class UsageBlocksTests
{
    private static readonly DateTimeOffset Day = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(string hhmm) => Day + TimeSpan.Parse(hhmm, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // calls (HH:mm, UTC) → blocks as "start-firstcall-lastcall"
    [InlineData("09:17", "09:00/09:17/09:17")]
    [InlineData("09:17 10:00 13:59", "09:00/09:17/13:59")] // all before 14:00, the end of the 09:00 block
    [InlineData("09:17 14:00", "09:00/09:17/09:17 14:00/14:00/14:00")] // a call at the end opens the next block
    [InlineData("09:17 13:30 14:20", "09:00/09:17/13:30 14:00/14:20/14:20")]
    [InlineData("01:00 06:30", "01:00/01:00/01:00 06:00/06:30/06:30")] // five hours without a call
    [InlineData("13:30 09:17 10:00", "09:00/09:17/13:30")] // in any order
    public void Calls_fall_into_five_hour_blocks_that_start_at_the_hour_of_their_first_call(string calls, string expected)
    {
        var blocks = UsageBlocks.Of(calls.Split(' ').Select(At));
        string.Join(' ', blocks.Select(b => $"{b.Start:HH:mm}/{b.FirstCall:HH:mm}/{b.LastCall:HH:mm}")).ShouldBe(expected);
        blocks.ShouldAllBe(b => b.End == b.Start + UsageBlocks.Length);
    }

    [Fact]
    public void Every_call_is_found_in_the_block_it_fell_into()
    {
        var calls = new[] { "09:17", "10:00", "14:20", "20:00" }.Select(At).ToList();
        var blocks = UsageBlocks.Of(calls);
        calls.Select(c => UsageBlocks.Find(blocks, c)!.Key).ShouldBe(["2026-12-07 09:00", "2026-12-07 09:00", "2026-12-07 14:00", "2026-12-07 20:00"]);
        UsageBlocks.Find(blocks, At("12:00")).ShouldBeNull(); // between calls, after the last of its block
    }

    [Theory]
    // first, last, now, cost, tokens → $/h, tokens/min, active, projected cost, projected tokens, minutes left
    [InlineData("09:00", "10:00", "18:00", 3.0, 6000L, 3.0, 100.0, false, null, null, null)]
    [InlineData("09:00", "10:00", "11:00", 3.0, 6000L, 3.0, 100.0, true, 12.0, 24000L, 180.0)] // 3 more hours at $3/h, 100/min
    [InlineData("09:30", "09:30", "10:00", 0.5, 1000L, null, null, true, 0.5, 1000L, 240.0)] // one call: no rate, so no growth
    [InlineData("09:00", "09:30", "15:00", 1.0, 100L, 2.0, 3.33, false, null, null, null)] // the window has reset
    public void Burn_rate_is_spend_over_the_time_from_first_to_last_call_and_the_active_block_is_projected_to_its_end(
        string first, string last, string now, double cost, long tokens, double? perHour, double? perMinute, bool active, double? projected, long? projectedTokens, double? left)
    {
        var block = UsageBlocks.Of([At(first), At(last)]).Single();
        block.IsActive(At(now)).ShouldBe(active);
        var burn = UsageBlocks.Burn(block, (decimal)cost, tokens, At(now));
        burn.CostPerHourUsd.ShouldBe(perHour is { } h ? (decimal)h : null);
        burn.TokensPerMinute.ShouldBe(perMinute);
        burn.ProjectedCostUsd.ShouldBe(projected is { } p ? (decimal)p : null);
        burn.ProjectedTokens.ShouldBe(projectedTokens);
        burn.MinutesLeft.ShouldBe(left);
    }

    [Fact]
    public void The_blocks_table_shows_each_block_its_burn_rate_and_the_active_blocks_projection()
    {
        var now = At("15:00");
        UsageRow Row(string first, string last, decimal cost, long tokens)
        {
            var b = UsageBlocks.Of([At(first), At(last)]).Single();
            return new UsageRow(b.Key, tokens / 2, tokens / 4, 0, tokens / 4, 0, tokens, cost, [])
            {
                Block = new UsageBlockInfo(b.Start, b.End, b.FirstCall, b.LastCall, b.IsActive(now), UsageBlocks.Burn(b, cost, tokens, now)),
            };
        }

        var rows = new[] { Row("03:10", "05:40", 4.5m, 1_200_000), Row("14:05", "14:45", 1.2m, 240_000) };
        var report = new UsageReportJson(1, "block", null, null, "/tmp/t.db", rows,
            new UsageTotals(720_000, 360_000, 0, 360_000, 0, 1_440_000, 5.7m), [], [], "2026-11-22");

        Golden.Match(UsageBlocks.Table(report), "usage-blocks.txt");
    }
}
