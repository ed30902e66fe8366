using Fleet.Cli.Commands;
using Fleet.Cli.Hosting;
using Fleet.Orchestration;
using Fleet.Reports;
using Fleet.Retro;
using Fleet.Telemetry.Reports;
using Fleet.Tests.Infrastructure;
using Fleet.Trend;

namespace Fleet.Tests.Cli;

/// <summary>Every human report, as a terminal of 80 and 120 columns shows it and as plain text for a pipe.</summary>
public class HumanOutputTests
{
    private static readonly Terminal Narrow = new(true, 80, false);
    private static readonly Terminal Wide = new(true, 120, false);

    public static TheoryData<string, string> EveryReportAtEveryWidth()
    {
        var data = new TheoryData<string, string>();
        foreach (var report in Reports.Keys)
        {
            foreach (var width in (string[])["80", "120", "plain"])
                data.Add(report, width);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryReportAtEveryWidth))]
    public void Every_report_matches_its_golden_file_at_80_and_120_columns_and_as_plain_text(string report, string width)
    {
        var terminal = width switch { "80" => Narrow, "120" => Wide, _ => Terminal.NotATty };

        Golden.Match(Reports[report](terminal), $"{report}-{width}.txt");
    }

    [Theory]
    [MemberData(nameof(EveryReportAtEveryWidth))]
    public void No_terminal_line_is_wider_than_the_terminal(string report, string width)
    {
        var terminal = width switch { "80" => Narrow, "120" => Wide, _ => null };
        if (terminal is null)
            return;

        // The table's lines: a status's own sentences wrap as text does.
        var table = Reports[report](terminal).Split('\n').Where(l => l.Length > 0 && "╭│├╰".Contains(l[0], StringComparison.Ordinal)).ToList();
        table.ShouldNotBeEmpty();
        foreach (var line in table)
            line.Length.ShouldBeLessThanOrEqualTo(terminal.Width, line);
    }

    [Fact]
    public void Usage_by_model_names_each_model_once()
    {
        var text = HumanOutput.Render(UsageTable.Of(Usage("model")), Wide);

        text.Split('\n').Count(l => l.Contains("claude-sonnet-4-5-20250929", StringComparison.Ordinal)).ShouldBe(1);
        text.ShouldNotContain("sonnet-4.5");
    }

    [Fact]
    public void A_group_of_several_models_has_a_subtotal_and_the_report_a_total()
    {
        var text = UsageTable.Of(Usage("day")).Plain();

        text.ShouldContain("subtotal");
        text.Split('\n').Count(l => l.Contains("subtotal", StringComparison.Ordinal)).ShouldBe(1); // the day of one model has none
        text.ShouldContain("total");
    }

    [Fact]
    public void Plain_columns_are_as_wide_as_their_content_not_a_fixed_key_of_40()
    {
        var header = UsageTable.Of(Usage("day")).Plain().Split('\n')[0];

        header.ShouldStartWith("day         model");
        header.Length.ShouldBeLessThan(100);
    }

    [Fact]
    public void A_narrow_terminal_leaves_out_the_cache_columns_and_says_so()
    {
        var text = HumanOutput.Render(UsageTable.Of(Usage("session")), Narrow);

        text.ShouldNotContain("│ cache write");
        text.ShouldContain("not shown at this width: cache write, cache read (--json has them)");
    }

    [Fact]
    public void Colour_is_written_only_when_the_terminal_takes_it()
    {
        var table = LsTable();

        HumanOutput.Render(table, Wide with { Color = true }).ShouldContain("\u001b[");
        HumanOutput.Render(table, Wide).ShouldNotContain("\u001b");
        HumanOutput.Render(table, Terminal.NotATty).ShouldNotContain("\u001b");
    }

    [Theory]
    [InlineData(true, 132, null, null, null, true, 132, true)]
    [InlineData(true, null, "100", null, null, true, 100, true)]
    [InlineData(true, null, null, null, null, true, 80, true)]
    [InlineData(true, 0, "abc", null, null, true, 80, true)]
    [InlineData(true, 120, null, "1", null, true, 120, false)]
    [InlineData(true, 120, null, "", null, true, 120, true)] // NO_COLOR set but empty does not count (no-color.org)
    [InlineData(true, 120, null, null, "dumb", true, 120, false)]
    [InlineData(false, 120, "120", null, "xterm", false, 0, false)]
    public void The_terminal_decides_width_and_colour_in_one_place(bool tty, int? width, string? columns, string? noColor, string? term, bool isTty, int expectedWidth, bool color)
    {
        var env = new Dictionary<string, string?> { ["COLUMNS"] = columns, ["NO_COLOR"] = noColor, ["TERM"] = term };

        Terminal.Decide(tty, width, name => env.GetValueOrDefault(name)).ShouldBe(new Terminal(isTty, expectedWidth, color));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "sonnet-4.5")]
    [InlineData("claude-opus-4-1-20250805", "opus-4.1")]
    [InlineData("claude-3-5-haiku-20241022", "3.5-haiku")]
    [InlineData("claude-opus-4-6", "opus-4.6")]
    [InlineData("claude-sonnet-4", "sonnet-4")]
    [InlineData("gpt-5-codex", "gpt-5-codex")]
    [InlineData("gpt-5.1-codex-max", "gpt-5.1-codex-max")]
    [InlineData("o4-mini-2025-04-16", "o4-mini")]
    [InlineData("claude-", "claude-")]
    public void Model_names_are_short_in_tables(string model, string expected) => ModelNames.Shorten(model).ShouldBe(expected);

    [Theory]
    [InlineData(0.04, "0.0s")]
    [InlineData(12.34, "12.3s")]
    [InlineData(65, "1m 05s")]
    [InlineData(7260, "2h 01m")]
    public void Durations_read_as_a_person_says_them(double seconds, string expected) =>
        HumanOutput.Elapsed(TimeSpan.FromSeconds(seconds)).ShouldBe(expected);

    [Theory]
    [InlineData("80")]
    [InlineData("120")]
    public void The_live_view_frame_matches_its_golden_file(string width)
    {
        var terminal = width == "80" ? Narrow : Wide;
        var text = new StringWriter();
        var console = HumanOutput.Console(text, terminal);
        var status = Status();
        console.Write(LiveFollower.Frame(status, At.AddSeconds(-75), ["[10:15:02] iteration 1", "[10:15:02]   ▸ builder started"], At, color: false));

        Golden.Match(text.ToString(), $"wait-live-{width}.txt");
    }

    [Fact]
    public void The_followed_run_ends_with_its_total_cost_and_time() =>
        LiveFollower.EndLine(0.4213m, TimeSpan.FromSeconds(185)).ShouldBe("total cost $0.4213, time 3m 05s");

    private static readonly DateTimeOffset At = new(2026, 12, 7, 10, 16, 15, TimeSpan.Zero);

    private static readonly Dictionary<string, Func<Terminal, string>> Reports = new()
    {
        ["usage-day"] = t => HumanOutput.Render(UsageTable.Of(Usage("day")), t),
        ["usage-model"] = t => HumanOutput.Render(UsageTable.Of(Usage("model")), t),
        ["usage-session"] = t => HumanOutput.Render(UsageTable.Of(Usage("session")), t),
        ["usage-block"] = t => HumanOutput.Render(UsageBlocks.Human(Blocks()), t),
        ["trend"] = t => HumanOutput.Render(TrendReport.Human(Trend()), t),
        ["ls"] = t => HumanOutput.Render(LsTable(), t),
        ["status"] = t => RunControlCommands.Render(Status(), t),
    };

    private static UsageModelRow Model(string model, long input, long output, long write, long read, decimal? cost) =>
        new(model.StartsWith("gpt", StringComparison.Ordinal) ? "codex" : "claude", model, 10, input, output, write, read, 0, input + output + write + read, cost);

    private static UsageRow Group(string key, params UsageModelRow[] models) => new(
        key, models.Sum(m => m.InputTokens), models.Sum(m => m.OutputTokens), models.Sum(m => m.CacheCreationTokens), models.Sum(m => m.CacheReadTokens), 0,
        models.Sum(m => m.TotalTokens), models.Sum(m => m.CostUsd ?? 0m), models);

    private static UsageReportJson Usage(string by)
    {
        var sonnet = Model("claude-sonnet-4-5-20250929", 12_345, 234_567, 1_234_567, 45_678_901, 31.42m);
        var opus = Model("claude-opus-4-1-20250805", 2_345, 34_567, 234_567, 5_678_901, 18.07m);
        var codex = Model("gpt-5-codex", 1_234_567, 45_678, 0, 9_876_543, 4.12m);
        UsageRow[] rows = by switch
        {
            "model" => [Group(sonnet.Model, sonnet), Group(opus.Model, opus), Group(codex.Model, codex)],
            "session" =>
            [
                Group("0199a1f2-7c3e-7d41-9b0e-3f6a2c1d8e95", sonnet, opus),
                Group("rollout-2026-12-07T10-15-02-0199a1f2-7c3e-7d41-9b0e-3f6a2c1d8e96", codex),
            ],
            _ => [Group("2026-12-06", sonnet, opus, codex), Group("2026-12-07", sonnet)],
        };
        var totals = new UsageTotals(rows.Sum(r => r.InputTokens), rows.Sum(r => r.OutputTokens), rows.Sum(r => r.CacheCreationTokens), rows.Sum(r => r.CacheReadTokens), 0, rows.Sum(r => r.TotalTokens), rows.Sum(r => r.CostUsd));
        return new UsageReportJson(1, by, null, null, "/tmp/t.db", rows, totals, [], [], "2026-11-22");
    }

    private static UsageReportJson Blocks()
    {
        var now = new DateTimeOffset(2026, 12, 7, 15, 0, 0, TimeSpan.Zero);
        UsageRow Row(int firstHour, int lastHour, decimal cost, long tokens)
        {
            var b = UsageBlocks.Of([now.Date.AddHours(firstHour).AddMinutes(10), now.Date.AddHours(lastHour).AddMinutes(40)]).Single();
            return new UsageRow(b.Key, tokens / 2, tokens / 4, 0, tokens / 4, 0, tokens, cost, [])
            {
                Block = new UsageBlockInfo(b.Start, b.End, b.FirstCall, b.LastCall, b.IsActive(now), UsageBlocks.Burn(b, cost, tokens, now)),
            };
        }

        var rows = new[] { Row(3, 5, 4.5m, 1_200_000), Row(14, 14, 1.2m, 240_000) };
        return new UsageReportJson(1, "block", null, null, "/tmp/t.db", rows, new UsageTotals(720_000, 360_000, 0, 360_000, 0, 1_440_000, 5.7m), [], [], "2026-11-22");
    }

    private static TrendRow[] Trend()
    {
        var totals = new RunTotals("r-20261207-101500-ab12", 1, 2, 0.5m, 0, 0, 0, 0, 0);
        var retro = new Retrospective("r-20261207-101500-ab12", "nightly-sweep", totals, null, 300, [
            new RetroWorker("one", 1, null, 0.2m, 0, 0, [], [], []),
            new RetroWorker("two", 1, null, 0.3m, 0, 0, [], [], []),
        ], [], []);
        return
        [
            TrendReport.Row(retro, new DateTimeOffset(2026, 12, 7, 10, 15, 0, TimeSpan.Zero), "dag"),
            TrendReport.Row(retro with { Run = "r-20261207-134500-cd34" }, new DateTimeOffset(2026, 12, 7, 13, 45, 0, TimeSpan.Zero), "iterative"),
        ];
    }

    private static HumanTable LsTable() => RunControlCommands.LsTable(
    [
        RunControlCommands.ToJson(Status()),
        RunControlCommands.ToJson(Status() with { Name = "nightly-sweep", Root = "/home/ana/work/nightly-sweep/fleet", State = "killed", Spent = 1.5m }),
    ]);

    private static FleetStatus Status() => new(
        "/home/ana/work/api-refactor/fleet", "api-refactor", "iterative", "r-20261207-101500-ab12", "running", 2, 5, [],
        [
            new WorkerStatusLine("builder", "succeeded", 312.4, 0.4213m, null),
            new WorkerStatusLine("tester", "running", 75, null, null) { Steers = 1 },
            new WorkerStatusLine("reviewer", "failed", 12.5, 0.0311m, "exit code 1: the reviewer's verdict file was missing after the run ended, so fleet counts it as a failure"),
            new WorkerStatusLine("docs", "not started", null, null, null),
        ],
        0.4524m, 5m, null, 4242, "tmux")
    {
        ReadAt = At,
    };
}
