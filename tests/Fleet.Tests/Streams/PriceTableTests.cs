using Fleet.Pricing;
using Fleet.Streams;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Streams;

public class PriceTableTests
{
    [Fact]
    public void Every_embedded_price_has_a_date_and_a_source_and_sane_numbers()
    {
        PriceTable.Default.Prices.Count.ShouldBeGreaterThanOrEqualTo(10);
        foreach (var p in PriceTable.Default.Prices)
        {
            p.Source.ShouldNotBeNullOrWhiteSpace();
            p.AsOf.ShouldBeGreaterThan(new DateOnly(2026, 1, 1));
            p.AsOf.ShouldBeLessThanOrEqualTo(PriceTable.CompiledOn);
            p.CachedInputPerMTok.ShouldBeLessThan(p.InputPerMTok, p.Model);
            p.OutputPerMTok.ShouldBeGreaterThan(p.InputPerMTok, p.Model);
        }
    }

    [Theory]
    [InlineData("gpt-5-codex", 1.25, 0.125, 10.00)]
    [InlineData("gpt-5.3-codex", 1.75, 0.175, 14.00)]
    [InlineData("gpt-5.5", 5.00, 0.50, 30.00)]
    [InlineData("gpt-5.4-mini", 0.75, 0.075, 4.50)]
    public void The_embedded_table_holds_the_published_prices(string model, double input, double cached, double output)
    {
        var p = PriceTable.Default.Find(model).ShouldNotBeNull();

        p.InputPerMTok.ShouldBe((decimal)input);
        p.CachedInputPerMTok.ShouldBe((decimal)cached);
        p.OutputPerMTok.ShouldBe((decimal)output);
    }

    [Theory]
    [InlineData("GPT-5-Codex")]
    [InlineData(" gpt-5-codex ")]
    [InlineData("gpt-5-codex-2025-09-15")]
    public void A_model_is_found_case_insensitively_and_without_its_dated_snapshot_suffix(string model) =>
        PriceTable.Default.Find(model).ShouldNotBeNull().Model.ShouldBe("gpt-5-codex");

    [Theory]
    [InlineData("stub-model")]
    [InlineData("gpt-5-codex-turbo")]
    [InlineData("gpt-5.9")]
    [InlineData("openai/gpt-5-codex")]
    public void A_model_not_in_the_table_has_no_price_and_no_family_guess(string model) =>
        PriceTable.Default.Find(model).ShouldBeNull();

    [Fact]
    public void Cached_input_is_billed_at_the_cached_price_and_reasoning_is_not_added_to_output()
    {
        var price = new ModelPrice("m", 2m, 0.5m, 8m, new DateOnly(2026, 1, 1), "test");
        var usage = new CodexUsage(InputTokens: 1_000_000, CachedInputTokens: 400_000, CacheWriteInputTokens: 0, OutputTokens: 100_000, ReasoningOutputTokens: 60_000);

        // 600k uncached × $2 + 400k cached × $0.5 + 100k output × $8 (reasoning is inside output)
        price.Cost(usage).ShouldBe(1.2m + 0.2m + 0.8m);
    }

    [Fact]
    public void A_price_file_overrides_a_model_and_adds_a_new_one_keeping_the_rest()
    {
        using var dir = new TempDir();
        var path = dir.Write("prices.json", """
            {
              // comments are allowed
              "models": {
                "gpt-5-codex": { "input": 1.00, "cached_input": 0.10, "output": 8.00, "as_of": "2026-12-01", "source": "our contract" },
                "stub-model": { "input": 2, "output": 4 },
              }
            }
            """);

        var table = PriceTable.Load(path);

        table.Find("gpt-5-codex").ShouldBe(new ModelPrice("gpt-5-codex", 1.00m, 0.10m, 8.00m, new DateOnly(2026, 12, 1), "our contract"));
        var stub = table.Find("stub-model").ShouldNotBeNull();
        stub.CachedInputPerMTok.ShouldBe(2m); // no cached price given: no discount assumed
        stub.Source.ShouldBe(path);
        table.Find("gpt-5.5").ShouldBe(PriceTable.Default.Find("gpt-5.5"));
        PriceTable.Default.Find("stub-model").ShouldBeNull(); // the default table is not mutated
    }

    [Fact]
    public void A_reader_given_an_override_table_prices_with_it()
    {
        using var dir = new TempDir();
        var path = dir.Write("prices.json", """{"models":{"stub-model":{"input":1000000,"cached_input":0,"output":0}}}""");

        var s = Captures.Feed(new CodexStreamReader("stub-model", PriceTable.Load(path)), Captures.Codex("CX_A")).Summary;

        s.CostUsd.ShouldBe(201m); // 201 uncached input tokens at $1 each
        s.Notes.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("""{"models":{"m":{"input":1}}}""", "needs \"input\" and \"output\"")]
    [InlineData("""{"models":{"m":{"input":-1,"output":1}}}""", "negative price")]
    [InlineData("""{"models":{"m":{"input":1,"output":1,"ouptut":2}}}""", "not a valid price file")]
    [InlineData("""{"prices":{}}""", "not a valid price file")]
    [InlineData("""{}""", "needs a \"models\" object")]
    [InlineData("""{"models":{"m":{"input":1,""", "not a valid price file")]
    public void A_bad_price_file_is_rejected_with_a_message_naming_the_file(string json, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.json", json);

        var e = Should.Throw<InvalidDataException>(() => PriceTable.Load(path));

        e.Message.ShouldStartWith(path);
        e.Message.ShouldContain(expected);
    }
}
