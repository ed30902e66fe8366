using Fleet.Pricing;
using Fleet.Telemetry;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.UseCases;

public sealed class ReadStatusLineTests : UseCaseTest
{
    [Fact]
    public async Task Todays_cost_is_the_stores_cost_on_the_hosts_utc_day_not_the_days_before()
    {
        // One call the day before the host's clock (2026-03-01) and one on it.
        static string Call(string id, string at, int output) =>
            $$$"""{"parentUuid":null,"isSidechain":false,"sessionId":"s","type":"assistant","requestId":"r-{{{id}}}","message":{"id":"m-{{{id}}}","model":"claude-sonnet-4-5","role":"assistant","content":[],"usage":{"input_tokens":1000,"output_tokens":{{{output}}}}},"timestamp":"{{{at}}}"}""";
        var transcript = Dir.Write("projects/p/s.jsonl", Call("1", "2026-02-28T23:00:00.000Z", 5000) + "\n" + Call("2", "2026-03-01T01:00:00.000Z", 2000) + "\n");
        await using var store = await TelemetryStore.OpenAsync(Dir.Combine("telemetry.db"), Ct).DefaultTimeout();
        await new TelemetryIngestor(store, TimeProvider.System).IngestAsync([transcript], IngestOptions.Default, Ct).SlowTimeout();
        var all = (await UsageReport.BuildAsync(store, UsageGrouping.Day, null, null, PriceTable.Default, Ct).DefaultTimeout()).Totals.CostUsd;
        var marchFirst = (await UsageReport.BuildAsync(store, UsageGrouping.Day, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1), PriceTable.Default, Ct).DefaultTimeout()).Totals.CostUsd;

        var line = await new ReadStatusLine(Host).ReadAsync("""{ "session_id": "s1", "cost": { "total_cost_usd": 0.25 } }""", store, Ct).DefaultTimeout();

        marchFirst.ShouldBeGreaterThan(0m);
        marchFirst.ShouldBeLessThan(all);
        line.TodayCostUsd.ShouldBe(marchFirst);
        line.SessionId.ShouldBe("s1");
        line.SessionCostUsd.ShouldBe(0.25m);
        line.Waiting.ShouldBeEmpty();
    }

    [Fact]
    public async Task Without_a_store_today_is_unknown_and_odd_input_is_an_empty_session()
    {
        var line = await new ReadStatusLine(Host).ReadAsync("not json", null, Ct).DefaultTimeout();

        line.TodayCostUsd.ShouldBeNull();
        line.SessionId.ShouldBeNull();
        line.SessionCostUsd.ShouldBeNull();
    }
}
