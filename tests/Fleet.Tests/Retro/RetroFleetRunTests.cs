using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Retro;

/// <summary>fleet retro on a real fleet launched twice: the orchestrator runs command workers that script their own gates.</summary>
public sealed class RetroFleetRunTests
{
    private const string ScriptedGate =
        """printf '{"id":"%s-%s-1","worker":"%s","iteration":%s,"kind":"permission","tool":"Bash","summary":"npm test","decision":"allow","decided_by":"person","asked_at":"2026-03-01T09:00:00Z","decided_at":"2026-03-01T09:00:05Z","waited_ms":5000}\n' "$2" "$1" "$2" "$1" >> "$0/iterations/$1/$2.gates.jsonl"; """;

    [Fact]
    public async Task A_fleet_launched_twice_gets_a_retro_of_its_latest_run_beside_the_first_with_the_allow_rule_from_both()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "retro-demo", "type": "iterative", "config": { "provider": "command" }, "workers": [
              { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + ScriptedGate)}} },
              { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2)}}, "depends_on": ["builder"] } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
            """);
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        var first = run.State.RunId;
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        run.State.RunId.ShouldNotBe(first);

        var (code, console) = await run.FleetAsync("retro", run.Root).DefaultTimeout();

        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldStartWith($"# Retrospective: retro-demo, run {run.State.RunId}");
        console.Stdout.ShouldContain($"previous ({first})");
        console.Stdout.ShouldContain("iterations: 2; to approval: 2; rework: 1");
        console.Stdout.ShouldContain("iteration 1: verdict iterate — reason for iterate at 1");
        console.Stdout.ShouldContain("Add the allow rule Bash(npm test) to \"allow\" in .fleet/gates.json (approved 4 of 4 times, not destructive).");

        var (old, previous) = await run.FleetAsync("retro", run.Root, "--run", first!, "--format", "json").DefaultTimeout();
        old.ShouldBe(0, previous.Stderr);
        previous.Stdout.ShouldContain($"\"run\": \"{first}\"");
        previous.Stdout.ShouldContain("\"previous\": null");
    }
}
