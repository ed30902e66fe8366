using System.Text.Json;
using Fleet.Notifications;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;
using Fleet.Workers;

namespace Fleet.Tests.Notifications;

/// <summary>
/// Real runs (the orchestrator a detached process) that notify a webhook on 127.0.0.1 and a command hook: every
/// event reaches both exactly once, across an orchestrator SIGKILL and resume while a gate waits.
/// </summary>
public class NotificationEndToEndTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(240);

    private const string Secret = "T0-B0-PLANTEDSECRET";

    private static string Notify(WebhookListener webhook, FleetRun run) => JsonSerializer.Serialize(new
    {
        webhook = webhook.Url($"/hook/{Secret}"),
        command = new[] { "sh", "-c", "cat >> \"$0\"", Path.Combine(run.Dir.Path, "hook.jsonl") },
    });

    private static IReadOnlyList<string> HookIds(FleetRun run)
    {
        var path = Path.Combine(run.Dir.Path, "hook.jsonl");
        return File.Exists(path)
            ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!)]
            : [];
    }

    private static async Task UntilAsync(Func<bool> condition, string what, FleetRun run)
    {
        var deadline = DateTimeOffset.UtcNow + Long;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                var log = Path.Combine(run.Layout.StateDir, FleetRuns.LaunchLog);
                throw new TimeoutException($"{what}; orchestrator log:\n{(File.Exists(log) ? await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken) : "(none)")}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Both channels got exactly these events, each once, and the ledger says so; the secret is in no log.</summary>
    private static async Task ShouldHaveDeliveredExactlyOnceAsync(FleetRun run, WebhookListener webhook, string[] expected)
    {
        var run1 = run.State.RunId!;
        string[] ids = [.. expected.Select(e => $"{run1}/{e}")];
        await UntilAsync(() => ids.All(webhook.Ids.Contains) && ids.All(HookIds(run).Contains), $"never delivered all of {string.Join(", ", ids)}: webhook {string.Join(", ", webhook.Ids)}; hook {string.Join(", ", HookIds(run))}", run);
        await UntilAsync(() => OrchestratorInfo.Running(run.Layout) is null, "the orchestrator never stopped", run);

        webhook.Ids.ShouldBe(ids, ignoreOrder: true);
        HookIds(run).ShouldBe(ids, ignoreOrder: true);
        DeliveryLedger.For(run.Layout).Delivered().ShouldBe([.. ids.SelectMany(id => new[] { (id, "webhook"), (id, "command") })], ignoreOrder: true);
        foreach (var body in webhook.Accepted)
        {
            body.RootElement.GetProperty("text").GetString().ShouldBe(body.RootElement.GetProperty("content").GetString());
            body.RootElement.GetProperty("text").GetString()!.ShouldContain(body.RootElement.GetProperty("event").GetProperty("summary").GetString()!);
        }

        var log = await File.ReadAllTextAsync(Path.Combine(run.Layout.StateDir, FleetRuns.LaunchLog), TestContext.Current.CancellationToken);
        log.ShouldContain("notify: webhook http://127.0.0.1:");
        log.ShouldNotContain(Secret);
    }

    [Fact]
    public async Task A_gate_an_escalation_a_pause_and_the_end_each_reach_the_webhook_and_the_command_once_across_an_orchestrator_SIGKILL_while_the_gate_waits()
    {
        await using var webhook = new WebhookListener();
        // The asker holds a gate open as a shim does: its request file, then it waits for the answer file.
        const string ask = FleetRun.RecordStart
            + "g=\"$0/iterations/$1/gates\"; "
            + "if [ \"$1\" = 1 ]; then mkdir -p \"$g\"; "
            + "printf '{\"id\":\"asker-1-1\",\"worker\":\"asker\",\"iteration\":1,\"kind\":\"permission\",\"tool\":\"Bash\",\"summary\":\"rm -rf build\",\"reason\":\"destructive: rm -rf: a person decides\",\"asked_at\":\"2026-12-07T10:00:00Z\",\"always_rule\":\"Bash(rm -rf build)\"}' > \"$g/r.tmp\"; "
            + "mv \"$g/r.tmp\" \"$g/asker-1-1.request.json\"; "
            + "while [ ! -e \"$g/asker-1-1.answer.json\" ]; do sleep 0.1; done; fi; "
            + "if [ \"$1\" = 2 ]; then sleep 1; fi";
        const string review = FleetRun.RecordStart
            + "case \"$1\" in 1) v=escalate;; 2) v=iterate;; *) v=lgtm;; esac; printf 'verdict: %s\\nreason: %s at %s\\n' \"$v\" \"$v\" \"$1\" > \"$0/iterations/$1/review.md\"";
        await using var run = new FleetRun("{}");
        run.Dir.Write("fleet/fleet.json", $$"""
            { "fleet_name": "notified", "type": "iterative", "config": { "provider": "command", "max_iterations": 3 },
              "workers": [
                { "id": "asker", "type": "code-run", "command": {{FleetRun.Sh(ask)}} },
                { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Sh(review)}}, "depends_on": ["asker"] } ],
              "stop_when": { "reviewer_lgtm_count": 1 },
              "notify": {{Notify(webhook, run)}} }
            """);

        (await run.FleetAsync("launch", run.Root, "--no-tmux")).ExitCode.ShouldBe(0);
        await UntilAsync(() => webhook.Ids.Any(id => id.EndsWith("/gate_opened/asker-1-1", StringComparison.Ordinal)) && HookIds(run).Count == 1, "the gate was never announced", run);
        var gate = webhook.Accepted.Single().RootElement.GetProperty("event");
        gate.GetProperty("gate").GetProperty("summary").GetString().ShouldBe("rm -rf build");
        gate.GetProperty("commands")[0].GetString().ShouldBe($"fleet approve {run.Root} asker-1-1");

        // The orchestrator dies while the gate waits; the one resume starts must not announce it again.
        var first = OrchestratorInfo.Running(run.Layout).ShouldNotBeNull();
        first.Identity.Signal(UnixSignal.SIGKILL);
        await UntilAsync(() => !first.Identity.IsAlive, "the orchestrator survived SIGKILL", run);
        (await run.FleetAsync("resume", run.Root)).ExitCode.ShouldBe(0);
        await UntilAsync(() => File.ReadAllText(Path.Combine(run.Layout.StateDir, FleetRuns.LaunchLog)).Split("notify: webhook").Length == 3, "the resumed orchestrator has no notifier", run);
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        webhook.Ids.Count.ShouldBe(1);

        (await run.FleetAsync("approve", run.Root, "asker-1-1")).ExitCode.ShouldBe(0);
        await run.WaitForAsync(s => s.Paused && s.Escalated, Long);
        await UntilAsync(() => OrchestratorInfo.Running(run.Layout) is null, "the escalated orchestrator never stopped", run);

        (await run.FleetAsync("resume", run.Root)).ExitCode.ShouldBe(0);
        (await run.FleetAsync("pause", run.Root)).ExitCode.ShouldBe(0);
        await run.WaitForAsync(s => s.Paused && !s.Escalated, Long);
        await UntilAsync(() => OrchestratorInfo.Running(run.Layout) is null, "the paused orchestrator never stopped", run);
        (await run.FleetAsync("resume", run.Root)).ExitCode.ShouldBe(0);
        await run.WaitForAsync(s => s.Ended is not null, Long);

        run.State.Ended!.Outcome.ShouldBe("success");
        run.Starts.ShouldBe(["asker 1", "reviewer 1", "asker 2", "reviewer 2", "asker 3", "reviewer 3"]);
        await ShouldHaveDeliveredExactlyOnceAsync(run, webhook, ["gate_opened/asker-1-1", "run_escalated/1/1", "run_paused/2/2", "run_ended/end"]);
    }

    [Fact]
    public async Task A_limited_worker_a_lost_one_and_the_cost_cap_each_reach_both_channels_once_through_a_webhook_that_fails_at_first()
    {
        AgentCli.RequireOrSkip("claude");
        await using var webhook = new WebhookListener(failFirst: 2);
        await using var run = new FleetRun("{}");
        run.Environment["FLEET_NOTIFY_RETRY_SECONDS"] = "0.2";
        run.Dir.Write("fleet/fleet.json", $$"""
            { "fleet_name": "capped", "type": "dag", "config": { "provider": "claude", "model": "claude-sonnet-4-5", "cost_cap_usd": 0.02 },
              "workers": [
                { "id": "one", "type": "code-run", "task": "First." },
                { "id": "two", "type": "code-run", "task": "Second.", "depends_on": ["one"] },
                { "id": "three", "type": "code-run", "task": "Third.", "depends_on": ["two"] },
                { "id": "sleeper", "type": "code-run", "provider": "command", "command": {{FleetRun.Sh(FleetRun.RecordStart + "sleep 300")}} } ],
              "notify": {{Notify(webhook, run)}} }
            """);
        run.Dir.Write("fleet/rehearsal.json", """
            { "rules": [
              { "worker": "one", "turns": [
                { "type": "usage_limit", "resets_in_seconds": 1 },
                { "type": "write_file", "path": "one.txt", "content": "one\n", "usage": { "input_tokens": 5000, "output_tokens": 500 } },
                { "type": "text", "text": "Done.", "usage": { "input_tokens": 5000, "output_tokens": 500 } } ] },
              { "worker": "*", "turns": [
                { "type": "write_file", "path": "{worker}.txt", "content": "done\n" },
                { "type": "text", "text": "Done." } ] } ] }
            """);

        (await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux")).ExitCode.ShouldBe(0);
        await run.WaitForAsync(s => s.CostCapReached, Long);

        // The sleeper's shim and agent die without an outcome: the live orchestrator finds it lost.
        var dir = run.Layout.IterationDir(1);
        await run.WaitForAsync(_ => WorkerClaim.TryRead(dir, "sleeper")?.AgentPid is not null && run.Starts.Contains("sleeper 1"));
        var claim = WorkerClaim.TryRead(dir, "sleeper")!;
        claim.Shim.Signal(UnixSignal.SIGKILL);
        ProcessGroup.Signal(claim.Agent!.Pid, UnixSignal.SIGKILL);
        await run.WaitForAsync(s => s.Ended is not null, Long);

        run.State.Worker("sleeper", 1).Reason.ShouldNotBeNull().ShouldStartWith("lost:");
        await ShouldHaveDeliveredExactlyOnceAsync(run, webhook, ["worker_limited/one/1/1", "cost_cap_reached/cap", "worker_lost/sleeper/1", "run_ended/end"]);
        webhook.Refused.ShouldBe(2);
        (await File.ReadAllTextAsync(Path.Combine(run.Layout.StateDir, FleetRuns.LaunchLog), TestContext.Current.CancellationToken)).ShouldContain("failed: HTTP 500");
    }
}
