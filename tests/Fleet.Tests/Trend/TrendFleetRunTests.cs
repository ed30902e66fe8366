using System.Text.Json;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Trend;

/// <summary>fleet trend on a real fleet launched twice: the builder scripts 3 person-decided gates per iteration in run 1 and 1 in run 2.</summary>
public sealed class TrendFleetRunTests
{
    private const string ScriptedGates =
        """n=3; [ -e "$0/second-run" ] && n=1; k=0; while [ $k -lt $n ]; do k=$((k+1)); printf '{"id":"%s-%s-%s","worker":"%s","iteration":%s,"kind":"permission","tool":"Bash","summary":"npm test","decision":"allow","decided_by":"person","asked_at":"2026-03-01T09:00:00Z","decided_at":"2026-03-01T09:00:05Z","waited_ms":5000}\n' "$2" "$1" "$k" "$2" "$1" >> "$0/iterations/$1/$2.gates.jsonl"; done; """;

    [Fact]
    public async Task Interventions_per_worker_fall_by_exactly_the_scripted_amount_between_two_runs()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "trend-demo", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + ScriptedGates)}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2)}}, "depends_on": ["builder"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
            """);
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        var first = run.State.RunId;
        await File.WriteAllTextAsync(Path.Combine(run.Root, "second-run"), "", TestContext.Current.CancellationToken);
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        var second = run.State.RunId;

        var (code, console) = await run.FleetAsync("trend", run.Root, "--json").DefaultTimeout();

        code.ShouldBe(0, console.Stderr);
        using var json = JsonDocument.Parse(console.Stdout);
        var rows = json.RootElement.EnumerateArray().ToList();
        rows.Count.ShouldBe(2);
        rows[0].GetProperty("run").GetString().ShouldBe(first);
        rows[1].GetProperty("run").GetString().ShouldBe(second);
        var workers = rows[0].GetProperty("workers").GetInt32();
        workers.ShouldBe(rows[1].GetProperty("workers").GetInt32());
        rows[0].GetProperty("interventions").GetInt32().ShouldBe(2 * 3);
        rows[1].GetProperty("interventions").GetInt32().ShouldBe(2 * 1);
        var drop = rows[0].GetProperty("interventions_per_worker").GetDouble() - rows[1].GetProperty("interventions_per_worker").GetDouble();
        drop.ShouldBe((6.0 - 2.0) / workers, 0.01);
        rows[0].GetProperty("iterations_to_approval").GetDouble().ShouldBe(2);
        rows[0].GetProperty("gates_by_class").GetProperty("repeatable_permission").GetInt32().ShouldBe(6);

        var (tableCode, table) = await run.FleetAsync("trend", run.Root).DefaultTimeout();
        tableCode.ShouldBe(0, table.Stderr);
        table.Stdout.ShouldStartWith("run ");
        table.Stdout.ShouldContain(first!);
        table.Stdout.ShouldContain("repeatable_permission 6");
        TestContext.Current.TestOutputHelper?.WriteLine(table.Stdout);
    }
}
