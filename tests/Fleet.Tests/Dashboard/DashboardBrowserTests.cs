using System.Globalization;
using System.Net;
using Fleet.Dashboard;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;
using Fleet.UseCases;

namespace Fleet.Tests.Dashboard;

/// <summary>
/// The dashboard in real headless Chromium against real runs: claude workers against the rehearsal endpoint asking a
/// person, and command workers paused and resumed from the page. Screenshots go to artifacts/test-results/dashboard.
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string Denial = "Not in this repo: write to docs/ instead.";

    [Fact]
    public async Task A_gate_shows_up_live_and_approve_and_deny_from_the_page_let_the_workers_go_on()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun("""
            { "fleet_name": "gated", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default", "max_concurrent": 2 },
              "workers": [ { "id": "writer", "type": "code-run", "task": "Write the file." },
                           { "id": "second", "type": "code-run", "task": "Write the file." } ] }
            """);
        await using var server = await StartAsync(run);
        await using var browser = await Chromium.StartAsync();
        await browser.NavigateAsync(server.TokenUrl.AbsoluteUri);
        await browser.WaitForAsync("document.body.dataset.live === '1'", TestTimeouts.Default);
        (await browser.TextAsync("main")).ShouldContain("No fleets launched yet");

        // Launched while the page is open: the list shows it without a reload.
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        await browser.WaitForAsync("document.querySelector('#fleets tr[data-root]')", TestTimeouts.Default);
        (await browser.TextAsync("#fleets")).ShouldContain("gated");
        await browser.ScreenshotAsync("fleets");

        await browser.NavigateAsync(new Uri(server.Url, "/inbox").AbsoluteUri);
        await browser.WaitForAsync("document.body.dataset.live === '1'", TestTimeouts.Default);
        await browser.EvalAsync("""
            window.seen = {};
            const look = () => document.querySelectorAll('article.gate[data-gate]').forEach(g => { window.seen[g.dataset.gate] ??= Date.now(); });
            new MutationObserver(look).observe(document.body, { childList: true, subtree: true }); look();
            """);
        await browser.WaitForAsync("document.querySelectorAll('article.gate').length === 2", TestTimeouts.Slow);
        await browser.ScreenshotAsync("inbox");

        // Each gate is on the page soon after the worker asked: pushed, not polled.
        var seen = (await browser.EvalAsync("window.seen"))!.AsObject();
        foreach (var gate in GateInbox.Open(run.Layout))
        {
            var shown = DateTimeOffset.FromUnixTimeMilliseconds(seen[gate.Id]!.GetValue<long>());
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{gate.Id}: on the page {(shown - gate.Request.AskedAt).TotalMilliseconds:0} ms after the request"));
            // Printed above; the bound is generous (the machine is shared and loaded). BENCHMARKS.md has the latency.
            (shown - gate.Request.AskedAt).ShouldBeLessThan(TimeSpan.FromSeconds(10));
        }

        await browser.ClickAsync("#gate-writer-1-1 button.approve");
        await browser.EvalAsync($$"""
            (() => { const g = document.getElementById('gate-second-1-1'); g.querySelector('input[name=message]').value = {{System.Text.Json.JsonSerializer.Serialize(Denial)}}; g.querySelector('button.deny').click(); })()
            """);
        await browser.WaitForAsync("document.getElementById('inbox-empty')", TestTimeouts.Default);
        await browser.ScreenshotAsync("inbox-answered");
        await run.WaitForAsync(s => s.Ended is not null);

        run.State.Ended!.Outcome.ShouldBe("success");
        run.State.Worker("writer", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        run.State.Worker("second", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        var iteration = run.Layout.IterationDir(1);
        File.ReadAllText(Path.Combine(iteration, "writer.gates.jsonl")).ShouldContain("\"decided_by\":\"person\"");
        File.ReadAllText(Fleet.Gates.GatePaths.Answer(iteration, "writer-1-1")).ShouldContain("\"by\": \"tester (dashboard)\"");
        File.ReadLines(Path.Combine(iteration, "second.log")).Single(l => l.Contains("\"tool_result\"", StringComparison.Ordinal))
            .ShouldContain($"\"content\":\"{Denial}\",\"is_error\":true");

        await browser.NavigateAsync(new Uri(server.Url, "/fleet?root=" + Uri.EscapeDataString(run.Root)).AbsoluteUri);
        (await browser.TextAsync("main")).ShouldContain("done");
        await browser.ScreenshotAsync("fleet");
        await browser.NavigateAsync(new Uri(server.Url, $"/worker?root={Uri.EscapeDataString(run.Root)}&iteration=1&worker=second").AbsoluteUri);
        var worker = await browser.TextAsync("main");
        worker.ShouldContain("▸ Write");
        worker.ShouldContain(Denial);
        await browser.ScreenshotAsync("worker");
    }

    [Fact]
    public async Task A_message_said_from_a_worker_s_page_reaches_its_agent()
    {
        AgentCli.RequireOrSkip("claude");
        const string message = "Steered from the dashboard: keep the file short.";
        await using var run = new FleetRun("""
            { "fleet_name": "steered", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default" },
              "workers": [ { "id": "writer", "type": "code-run", "task": "Write the file." } ] }
            """);
        await using var server = await StartAsync(run);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        await using var browser = await Chromium.StartAsync();
        await browser.NavigateAsync(server.TokenUrl.AbsoluteUri.Replace("/?token", $"/worker?root={Uri.EscapeDataString(run.Root)}&iteration=1&worker=writer&token", StringComparison.Ordinal));
        await browser.WaitForAsync("document.body.dataset.live === '1'", TestTimeouts.Default);

        // The agent is alive and waiting on its gate: the message goes to it through its shim.
        try
        {
            await browser.WaitForAsync("document.getElementById('gate-writer-1-1')", TestTimeouts.Slow);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + run.Diagnostics(), e);
        }

        await browser.EvalAsync($$"""
            (() => { const f = document.querySelector('form.steer'); f.querySelector('input[name=message]').value = {{System.Text.Json.JsonSerializer.Serialize(message)}}; f.querySelector('button[value=say]').click(); })()
            """);
        await browser.WaitForAsync("document.getElementById('flash').innerText.includes('told writer')", TestTimeouts.Default);
        await browser.ClickAsync("#gate-writer-1-1 button.approve");
        await browser.WaitForAsync("document.querySelector('ul.steers')", TestTimeouts.Default);
        await browser.ScreenshotAsync("worker-steered");

        run.Journal.ShouldContain(e => e.Type == JournalTypes.WorkerSteered && e.Worker == "writer" && e.Message == message);
        var log = Path.Combine(run.Layout.IterationDir(1), "writer.log");
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (!(File.Exists(log) && File.ReadAllText(log).Contains(message, StringComparison.Ordinal)))
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, "the agent's stream never showed the message it was told");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        (await browser.TextAsync("ul.steers")).ShouldContain(message);
    }

    [Fact]
    public async Task Pause_and_resume_from_the_page_stop_the_run_at_an_iteration_s_end_and_carry_it_on()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "pausable", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh("while [ ! -e \"$0/go\" ]; do sleep 0.1; done; echo \"built in iteration $1\"")}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 3)}}, "depends_on": ["builder"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
            """);
        await using var server = await StartAsync(run);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        await using var browser = await Chromium.StartAsync();
        await browser.NavigateAsync(server.TokenUrl.AbsoluteUri.Replace("/?token", "/fleet?root=" + Uri.EscapeDataString(run.Root) + "&token", StringComparison.Ordinal));
        await browser.WaitForAsync("document.body.dataset.live === '1'", TestTimeouts.Default);
        await run.WaitForAsync(s => s.Iteration >= 1 && s.Workers.Any());

        await browser.ClickAsync("#pause");
        await browser.WaitForAsync("document.getElementById('flash').innerText.includes('pausing')", TestTimeouts.Default);

        // The builder of iteration 1 waits for this, so the pause is asked for while the run is surely going.
        await File.WriteAllTextAsync(Path.Combine(run.Root, "go"), "", TestContext.Current.CancellationToken);
        await browser.WaitForAsync("document.querySelector('main h1 .state').innerText === 'paused'", TestTimeouts.Slow);
        await browser.ScreenshotAsync("fleet-paused");
        var paused = run.State;
        paused.Paused.ShouldBeTrue();
        paused.Ended.ShouldBeNull();
        paused.Verdicts.Count.ShouldBeLessThan(3);

        await browser.ClickAsync("#resume");
        await browser.WaitForAsync("document.getElementById('flash').innerText.includes('resumed')", TestTimeouts.Default);
        await browser.WaitForAsync("document.querySelector('main h1 .state').innerText === 'done'", TestTimeouts.Slow);
        await browser.ScreenshotAsync("fleet-resumed");
        run.State.Ended!.Outcome.ShouldBe("success");
        run.State.Verdicts.Select(v => v.Verdict).ShouldBe(["iterate", "iterate", "lgtm"]);

        await browser.NavigateAsync(new Uri(server.Url, "/kill?root=" + Uri.EscapeDataString(run.Root)).AbsoluteUri);
        (await browser.TextAsync("#dies")).ShouldContain("nothing is running");
        await browser.ScreenshotAsync("kill-confirm");
        await browser.NavigateAsync(new Uri(server.Url, "/usage").AbsoluteUri);
        await browser.ScreenshotAsync("usage");
    }

    [Fact]
    public async Task A_gate_asked_before_the_page_listens_shows_once_it_listens_though_nothing_changes_after()
    {
        await using var d = await DashboardFixture.StartAsync();
        await using var browser = await Chromium.StartAsync();
        // The page's event stream opens only when the test says: the gap between a page's rendering and its listening, held open.
        await browser.CallAsync("Page.addScriptToEvaluateOnNewDocument", new System.Text.Json.Nodes.JsonObject
        {
            ["source"] = """
                (() => {
                  const Real = window.EventSource;
                  let release; const released = new Promise(r => release = r); window.releaseEvents = release;
                  window.EventSource = function (url, init) {
                    const proxy = { listeners: [] };
                    proxy.addEventListener = (type, f) => proxy.listeners.push([type, f]);
                    released.then(() => {
                      const real = new Real(url, init);
                      real.onopen = e => proxy.onopen && proxy.onopen(e);
                      real.onerror = e => proxy.onerror && proxy.onerror(e);
                      for (const [type, f] of proxy.listeners) real.addEventListener(type, f);
                    });
                    return proxy;
                  };
                })();
                """,
        });
        await browser.NavigateAsync(d.Server.TokenUrl.AbsoluteUri.Replace("/?token", "/inbox?token", StringComparison.Ordinal));
        await browser.WaitForAsync("document.querySelectorAll('article.gate').length === 1", TestTimeouts.Default);

        using var published = d.Server.Events.Subscribe();
        var second = new GateRequest("builder-1-2", "builder", 1, "permission", "Bash", "npm publish", null, "no allow rule matches Bash(npm publish)", DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(GatePaths.Request(Path.Combine(d.Root, "iterations", "1"), second.Id), System.Text.Json.JsonSerializer.Serialize(second, GatePaths.Options), TestContext.Current.CancellationToken);
        // The change is published while the page does not listen yet: only this test's own subscription receives it.
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            timeout.CancelAfter(TestTimeouts.Default);
            while (!(await published.Reader.ReadAsync(timeout.Token)).Kinds.Contains("gate"))
            {
            }
        }

        await browser.EvalAsync("window.releaseEvents()");

        await browser.WaitForAsync("document.body.dataset.live === '1'", TestTimeouts.Default);
        await browser.WaitForAsync("document.querySelectorAll('article.gate').length === 2", TestTimeouts.Default);
        (await browser.TextAsync("main")).ShouldContain("npm publish");
    }

    private static async Task<DashboardServer> StartAsync(FleetRun run)
    {
        var home = run.Dir.Combine(".fleet-home");
        var host = new FleetHost(name => name == "FLEET_HOME" ? home : Environment.GetEnvironmentVariable(name), run.Dir.Path, TimeProvider.System);
        return await DashboardServer.StartAsync(host, new DashboardOptions(new ListenPlan(IPAddress.Loopback, 0, null), RepoPaths.FleetArgv, "tester (dashboard)"), TestContext.Current.CancellationToken).DefaultTimeout();
    }
}
