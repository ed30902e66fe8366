using System.Text.Json;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Orchestration;

/// <summary>
/// The three providers in one rehearsal fleet with the REAL claude, codex and gemini CLIs: a builder of each and a gemini
/// reviewer, resumed in a second iteration, end lgtm, and status and usage give each worker the same cost.
/// </summary>
public class ThreeProviderFleetTests
{
    [Fact]
    public async Task An_iterative_fleet_of_claude_codex_and_gemini_builders_with_a_gemini_reviewer_ends_lgtm_and_its_costs_agree()
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        AgentCli.RequireOrSkip("gemini");
        await using var run = new FleetRun("""
            { "fleet_name": "three", "type": "iterative", "config": { "provider": "claude", "model": "claude-sonnet-4-5", "max_concurrent": 3 }, "workers": [
              { "id": "builder-a", "type": "code-run", "task": "Build part A." },
              { "id": "builder-b", "type": "code-run", "task": "Build part B.", "provider": "codex", "model": "gpt-5-codex" },
              { "id": "builder-g", "type": "code-run", "task": "Build part G.", "provider": "gemini", "model": "gemini-2.5-pro" },
              { "id": "reviewer", "type": "reviewer", "task": "Review the three parts.", "provider": "gemini", "model": "gemini-2.5-pro",
                "depends_on": ["builder-a", "builder-b", "builder-g"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 4 } }
            """);

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--wait", "--no-tmux").SlowTimeout();

        code.ShouldBe(0, console.Stdout + console.Stderr);
        run.State.Iteration.ShouldBeGreaterThanOrEqualTo(2, "the builders are resumed once");
        foreach (var gemini in new[] { "builder-g", "reviewer" })
        {
            using var first = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Root, "iterations", "1", $"{gemini}.exit.json")));
            using var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Root, "iterations", "2", $"{gemini}.spec.json")));
            using var second = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Root, "iterations", "2", $"{gemini}.exit.json")));
            var session = first.RootElement.GetProperty("session_id").GetString();
            session.ShouldNotBeNullOrEmpty();
            spec.RootElement.GetProperty("gemini_session").GetProperty("resume_session").GetString().ShouldBe(session, $"{gemini}'s iteration 2 loads its session of iteration 1");
            second.RootElement.GetProperty("outcome").GetString().ShouldBe("succeeded", second.RootElement.ToString());
            second.RootElement.GetProperty("session_id").GetString().ShouldBe(session);
            second.RootElement.GetProperty("session_file").GetString().ShouldBe(first.RootElement.GetProperty("session_file").GetString(), "priced from the same session file");
        }

        var status = await JsonAsync(run, "status", run.Root, "--json");
        status.RootElement.GetProperty("verdicts").EnumerateArray().Last().GetProperty("verdict").GetString().ShouldBe("lgtm", status.RootElement.ToString());
        var fromStatus = status.RootElement.GetProperty("workers").EnumerateArray()
            .ToDictionary(w => w.GetProperty("worker").GetString()!, w => w.GetProperty("run_cost_usd").GetDecimal());
        var usage = await JsonAsync(run, "usage", "--by", "worker", "--json", "--no-ingest", "--include-rehearsal");
        var fromUsage = usage.RootElement.GetProperty("rows").EnumerateArray()
            .ToDictionary(r => r.GetProperty("key").GetString()!, r => r.GetProperty("cost_usd").GetDecimal());

        foreach (var worker in new[] { "builder-a", "builder-b", "builder-g", "reviewer" })
        {
            var cost = fromStatus[worker];
            cost.ShouldBeGreaterThan(0m, worker);
            fromUsage.ShouldContainKey($"three/{worker}", usage.RootElement.ToString());
            Math.Round(fromUsage[$"three/{worker}"], 6).ShouldBe(Math.Round(cost, 6), $"usage of {worker}: {usage.RootElement}");
        }
    }

    private static async Task<JsonDocument> JsonAsync(FleetRun run, params string[] args)
    {
        var (code, console) = await run.FleetAsync(args).SlowTimeout();
        code.ShouldBe(0, string.Join(' ', args) + ": " + console.Stderr);
        return JsonDocument.Parse(console.Stdout);
    }
}
