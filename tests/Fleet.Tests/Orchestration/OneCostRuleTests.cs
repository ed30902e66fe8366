using System.Text.Json;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Orchestration;

/// <summary>
/// One rehearsal fleet with the REAL claude and codex CLIs, its builders resumed in a second iteration (both CLIs then
/// report the session's running totals): every report gives each worker the same cost.
/// </summary>
public class OneCostRuleTests
{
    [Fact]
    public async Task Status_usage_retro_and_trend_give_each_worker_of_a_resumed_rehearsal_fleet_the_same_cost()
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        await using var run = new FleetRun("""
            { "fleet_name": "one-rule", "type": "iterative", "config": { "provider": "claude", "model": "claude-sonnet-4-5", "max_concurrent": 2 }, "workers": [
              { "id": "builder-a", "type": "code-run", "task": "Build part A." },
              { "id": "builder-b", "type": "code-run", "task": "Build part B.", "provider": "codex", "model": "gpt-5-codex" },
              { "id": "reviewer", "type": "reviewer", "task": "Review both parts.", "depends_on": ["builder-a", "builder-b"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 4 } }
            """);

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--wait", "--no-tmux").SlowTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);
        run.State.Iteration.ShouldBeGreaterThanOrEqualTo(2);
        string[] workers = ["builder-a", "builder-b", "reviewer"];

        var status = await JsonAsync(run, "status", run.Root, "--json");
        var fromStatus = status.RootElement.GetProperty("workers").EnumerateArray()
            .ToDictionary(w => w.GetProperty("worker").GetString()!, w => w.GetProperty("run_cost_usd").GetDecimal());

        var usage = await JsonAsync(run, "usage", "--by", "worker", "--json", "--no-ingest", "--include-rehearsal");
        var fromUsage = usage.RootElement.GetProperty("rows").EnumerateArray()
            .ToDictionary(r => r.GetProperty("key").GetString()!, r => r.GetProperty("cost_usd").GetDecimal());

        var retro = await JsonAsync(run, "retro", run.Root, "--format", "json");
        var fromRetro = retro.RootElement.GetProperty("workers").EnumerateArray()
            .ToDictionary(w => w.GetProperty("worker").GetString()!, w => w.GetProperty("cost_usd").GetDecimal());

        var trend = await JsonAsync(run, "trend", run.Root, "--json");
        var byWorker = trend.RootElement.EnumerateArray().Single().GetProperty("cost_by_worker");

        foreach (var worker in workers)
        {
            var cost = fromStatus[worker];
            cost.ShouldBeGreaterThan(0m, worker);
            Math.Round(fromUsage[$"one-rule/{worker}"], 6).ShouldBe(Math.Round(cost, 6), $"usage of {worker}: {usage.RootElement}");
            fromRetro[worker].ShouldBe(cost, $"retro of {worker}");
            byWorker.GetProperty(worker).GetDecimal().ShouldBe(cost, $"trend of {worker}");
        }

        // A rehearsal is no spend: without --include-rehearsal, usage leaves it out.
        var spend = await JsonAsync(run, "usage", "--by", "worker", "--json", "--no-ingest");
        spend.RootElement.GetProperty("rows").GetArrayLength().ShouldBe(0);
        spend.RootElement.GetProperty("totals").GetProperty("cost_usd").GetDecimal().ShouldBe(0m);
    }

    private static async Task<JsonDocument> JsonAsync(FleetRun run, params string[] args)
    {
        var (code, console) = await run.FleetAsync(args).SlowTimeout();
        code.ShouldBe(0, string.Join(' ', args) + ": " + console.Stderr);
        return JsonDocument.Parse(console.Stdout);
    }
}
