using System.Net;
using Fleet.Dashboard;
using Fleet.Paths;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.UseCases;

namespace Fleet.Tests.Dashboard;

/// <summary>The pages of a real run (command workers, a real orchestrator), the live events, and the address file.</summary>
public sealed class DashboardPagesTests
{
    [Fact]
    public async Task A_finished_run_shows_its_verdicts_with_reasons_workers_per_iteration_layers_runs_and_a_worker_s_stream()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "shown", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh("echo \"building in iteration $1\"")}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2)}}, "depends_on": ["builder"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
            """);
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        var host = new FleetHost(name => name == "FLEET_HOME" ? run.Dir.Combine(".fleet-home") : Environment.GetEnvironmentVariable(name), run.Dir.Path, TimeProvider.System);
        await using var server = await DashboardServer.StartAsync(host, new DashboardOptions(new ListenPlan(IPAddress.Loopback, 0, null), RepoPaths.FleetArgv, "tester"), TestContext.Current.CancellationToken).DefaultTimeout();
        using var client = Client(server);

        var list = await client.GetStringAsync("/", TestContext.Current.CancellationToken).DefaultTimeout();
        var fleet = await client.GetStringAsync("/fleet?root=" + Uri.EscapeDataString(run.Root), TestContext.Current.CancellationToken).DefaultTimeout();
        var worker = await client.GetStringAsync($"/worker?root={Uri.EscapeDataString(run.Root)}&iteration=2&worker=builder", TestContext.Current.CancellationToken).DefaultTimeout();

        list.ShouldContain(">shown</a>");
        list.ShouldContain("done");
        fleet.ShouldContain("reason for iterate at 1");
        fleet.ShouldContain("reason for lgtm at 2");
        fleet.ShouldContain("<h3>Iteration 2</h3>");
        fleet.ShouldContain("<h3>Iteration 1</h3>");
        fleet.ShouldContain("<li>builder</li>");
        fleet.ShouldContain("<li>reviewer</li>");
        fleet.ShouldContain(run.State.RunId!);
        fleet.ShouldContain("<svg");
        worker.ShouldContain("building in iteration 2");
        worker.ShouldContain("succeeded");
    }

    [Fact]
    public async Task A_journal_append_reaches_an_open_event_stream_as_a_change_of_that_root()
    {
        await using var d = await DashboardFixture.StartAsync();
        using var request = d.Get("/events");
        using var response = await d.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken).DefaultTimeout();
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        (await reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().DefaultTimeout()).ShouldBe("retry: 1000");

        await new Journal(d.Layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.Paused, Reason = "test" }, TestContext.Current.CancellationToken);

        string? data = null;
        while (data is null)
        {
            var line = await reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().DefaultTimeout();
            if (line?.StartsWith("data: ", StringComparison.Ordinal) == true)
            {
                data = line;
            }
        }

        data.ShouldContain("\"root\":" + System.Text.Json.JsonSerializer.Serialize(d.Root));
        data.ShouldContain("journal");
    }

    [Theory]
    [InlineData(".fleet/journal.jsonl", "journal", null)]
    [InlineData(".paused", "pause", null)]
    [InlineData("iterations/2/builder.exit.json", "exit", "builder")]
    [InlineData("iterations/2/builder.run.json", "claim", "builder")]
    [InlineData("iterations/2/builder.log", "stream", "builder")]
    [InlineData("iterations/2/builder.stderr.log", "stream", "builder")]
    [InlineData("iterations/2/builder.gates.jsonl", "gate", "builder")]
    [InlineData("iterations/2/gates/builder-2-1.request.json", "gate", null)]
    [InlineData("iterations/2/gates/builder-2-1.answer.json", "gate", null)]
    [InlineData("iterations/2/review.md", "review", null)]
    [InlineData("iterations/2/.builder.exit.json.123.tmp", null, null)]
    [InlineData("iterations/2/builder.prompt.md", null, null)]
    [InlineData(".fleet/orchestrator.log", null, null)]
    [InlineData("src/main.c", null, null)]
    public void A_changed_file_is_classified_by_what_a_page_shows_of_it(string relative, string? kind, string? worker)
    {
        var change = FleetWatch.Classify("/r", "/r/" + relative);

        change?.Kind.ShouldBe(kind);
        (change is null).ShouldBe(kind is null);
        change?.Worker.ShouldBe(worker);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task While_it_runs_fleet_dashboard_leaves_its_address_private_to_the_user_and_removes_it_on_exit()
    {
        using var dir = new TempDir("fleet-dashboard-cli-");
        var environment = new Dictionary<string, string> { ["FLEET_HOME"] = dir.Combine("home") };
        var console = new TestConsole(dir.Path, environment);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = Fleet.Cli.FleetApp.RunAsync(["dashboard", "--port", "0", "--no-open", "--json"], console, stop.Token);
        var file = DashboardAddress.PathIn(new UserDirs(environment.GetValueOrDefault));
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
        while (!File.Exists(file) || console.Stdout.Length == 0)
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, "no dashboard.json: " + console.Stderr);
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var address = DashboardAddress.Read(new UserDirs(environment.GetValueOrDefault)).ShouldNotBeNull();
        var mode = File.GetUnixFileMode(file);
        var printed = System.Text.Json.JsonDocument.Parse(console.Stdout).RootElement;
        await stop.CancelAsync();
        var code = await running.DefaultTimeout();

        code.ShouldBe(0, console.Stderr);
        mode.ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        address.Pid.ShouldBe(Environment.ProcessId);
        address.Url.ShouldStartWith("http://127.0.0.1:");
        address.Url.ShouldNotContain("token");
        printed.GetProperty("url").GetString().ShouldBe(address.Url);
        printed.GetProperty("token_url").GetString().ShouldStartWith(address.Url + "?token=");
        address.FleetPage("/home/me/my fleet").ShouldBe(address.Url + "fleet?root=%2Fhome%2Fme%2Fmy%20fleet");
        File.Exists(file).ShouldBeFalse();
    }

    [Fact]
    public async Task A_listen_address_that_is_not_one_is_a_usage_error()
    {
        var (code, console) = await TestConsole.RunAsync(Path.GetTempPath(), "dashboard", "--listen", "example.com", "--no-open").DefaultTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain("--listen example.com: not an IP address");
    }

    private static HttpClient Client(DashboardServer server)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.Url, Timeout = TestTimeouts.Default };
        client.DefaultRequestHeaders.Add("Cookie", $"{server.Security.CookieName}={server.Security.Token}");
        return client;
    }
}
