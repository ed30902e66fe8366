using System.Diagnostics;
using System.Text.RegularExpressions;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Trend;

/// <summary>fleet trend --html: one self-contained page, checked offline in headless Chromium.</summary>
public sealed partial class TrendHtmlTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static string Gate(string id, int iteration, string kind, string summary, string decidedBy = "person") =>
        $$"""{"id":"{{id}}","worker":"builder","iteration":{{iteration}},"kind":"{{kind}}","tool":"{{(kind == "question" ? "AskUserQuestion" : "Bash")}}","summary":"{{summary}}","decision":"{{(kind == "question" ? "answer" : "allow")}}","decided_by":"{{decidedBy}}","asked_at":"2026-03-01T09:0{{iteration}}:00Z","decided_at":"2026-03-01T09:0{{iteration}}:10Z","waited_ms":10000}""" + "\n";

    private static TempDir Fleet()
    {
        var dir = new TempDir("fleet-trend-");
        dir.Write(".fleet/journal.jsonl", string.Join('\n',
            """{"ts":"2026-02-28T09:00:00Z","type":"run_started","run":"r-1","fleet":"demo"}""",
            """{"ts":"2026-02-28T09:00:01Z","type":"iteration_started","run":"r-1","iteration":1}""",
            """{"ts":"2026-02-28T09:00:02Z","type":"worker_spawning","run":"r-1","worker":"builder","iteration":1}""",
            """{"ts":"2026-02-28T09:01:00Z","type":"worker_ended","run":"r-1","worker":"builder","iteration":1,"outcome":"succeeded","cost_usd":0.5}""",
            """{"ts":"2026-02-28T09:01:01Z","type":"verdict","run":"r-1","iteration":1,"outcome":"lgtm"}""",
            """{"ts":"2026-03-01T09:00:00Z","type":"run_started","run":"r-2","fleet":"demo"}""",
            """{"ts":"2026-03-01T09:00:01Z","type":"iteration_started","run":"r-2","iteration":1}""",
            """{"ts":"2026-03-01T09:00:02Z","type":"worker_spawning","run":"r-2","worker":"builder","iteration":1}""",
            """{"ts":"2026-03-01T09:01:00Z","type":"worker_ended","run":"r-2","worker":"builder","iteration":1,"outcome":"succeeded","cost_usd":0.25}""",
            """{"ts":"2026-03-01T09:01:01Z","type":"verdict","run":"r-2","iteration":1,"outcome":"lgtm"}""") + "\n");
        dir.Write(".fleet/runs/r-1/iterations/1/builder.gates.jsonl",
            Gate("b-1", 1, "permission", "npm test") + Gate("b-2", 1, "question", "Which branch should I target?") + Gate("b-3", 1, "permission", "ls", "rule"));
        dir.Write("iterations/1/builder.gates.jsonl", Gate("b-1", 1, "permission", "npm test"));
        return dir;
    }

    [Fact]
    public async Task The_html_page_is_self_contained_and_renders_its_charts_offline_in_headless_chromium()
    {
        using var dir = Fleet();
        var page = dir.Combine("trend.html");

        var (code, console) = await TestConsole.RunAsync(dir.Path, "trend", dir.Path, "--html", page).DefaultTimeout();

        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldContain("r-1");
        console.Stdout.ShouldContain("permission 1, rule 1, setup_question 1");
        var html = await File.ReadAllTextAsync(page, TestContext.Current.CancellationToken);
        html.ShouldNotContain("<script", Case.Insensitive);
        UrlPattern().Matches(html).Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg").ShouldBeEmpty();
        Regex.Count(html, "<svg ").ShouldBe(4);
        html.ShouldContain("<polyline");
        html.ShouldContain("<title>r-1: setup_question 1</title>");

        if (!File.Exists(Chromium))
        {
            Assert.Skip($"SKIPPED: {Chromium} is not installed (scripts/setup.sh installs it); the HTML page was not rendered.");
        }

        var shots = Path.Combine(AppContext.BaseDirectory, "trend-screenshots");
        Directory.CreateDirectory(shots);
        var png = Path.Combine(shots, "trend.png");
        File.Delete(png);
        using var profile = new TempDir("fleet-chromium-");
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", $"--user-data-dir={profile.Path}", $"--screenshot={png}", "--window-size=1000,800", new Uri(page).AbsoluteUri])
        {
            start.ArgumentList.Add(arg);
        }

        using var chromium = Process.Start(start)!;
        var stderr = chromium.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = chromium.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await chromium.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            chromium.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not exit within 60s: " + await stderr);
        }

        File.Exists(png).ShouldBeTrue($"no screenshot; chromium exited {chromium.ExitCode}: {await stderr}");
        var bytes = await File.ReadAllBytesAsync(png, TestContext.Current.CancellationToken);
        bytes.Length.ShouldBeGreaterThan(10_000, "a blank 1000x800 page compresses to a few kB");
        bytes.Distinct().Count().ShouldBeGreaterThan(200);
        TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {png} ({bytes.Length} bytes)");
    }

    [Fact]
    public async Task A_root_without_a_journal_is_a_usage_error()
    {
        using var dir = new TempDir("fleet-trend-");

        var (code, console) = await TestConsole.RunAsync(dir.Path, "trend", dir.Path).DefaultTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain("no run in the journal");
    }

    [GeneratedRegex(@"https?://[^\s""'<>)]*", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();
}
