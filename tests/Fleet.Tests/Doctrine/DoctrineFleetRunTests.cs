using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Doctrine;

/// <summary>fleet doctrine on real fleets: a run's recommendations applied, then carried by a later run's briefs and checked at its launch.</summary>
public sealed class DoctrineFleetRunTests
{
    /// <summary>Each builder iteration: npm test approved, and the tabs question answered "spaces" (its answer file beside the log).</summary>
    private const string ScriptedGates =
        """printf '{"id":"%s-%s-1","worker":"%s","iteration":%s,"kind":"permission","tool":"Bash","summary":"npm test","decision":"allow","decided_by":"person","asked_at":"2026-03-01T09:00:00Z","decided_at":"2026-03-01T09:00:05Z","waited_ms":5000}\n' "$2" "$1" "$2" "$1" >> "$0/iterations/$1/$2.gates.jsonl"; """
        + """printf '{"id":"%s-%s-2","worker":"%s","iteration":%s,"kind":"question","tool":"AskUserQuestion","summary":"Tabs or spaces?","decision":"answer","decided_by":"person","asked_at":"2026-03-01T09:0%s:10Z","decided_at":"2026-03-01T09:0%s:15Z","waited_ms":5000}\n' "$2" "$1" "$2" "$1" "$1" "$1" >> "$0/iterations/$1/$2.gates.jsonl"; """
        + """mkdir -p "$0/iterations/$1/gates"; printf '{"decision":"answer","always":false,"answers":{"Tabs or spaces?":"spaces"},"by":"ana","answered_at":"2026-03-01T09:00:15Z"}' > "$0/iterations/$1/gates/$2-$1-2.answer.json"; """;

    private static string FleetJson(string builderScript) => $$"""
        { "fleet_name": "doctrine-demo", "type": "iterative", "config": { "provider": "command" }, "workers": [
          { "id": "builder", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart + builderScript)}} },
          { "id": "reviewer", "type": "reviewer", "command": {{FleetRun.Reviewer(approveFrom: 2)}}, "depends_on": ["builder"] } ],
          "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 5 } }
        """;

    /// <summary>The orchestrator journals the run's end a moment before it exits: a second launch waits for that.</summary>
    private static async Task OrchestratorGoneAsync(FleetRun run)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (global::Fleet.Orchestration.OrchestratorInfo.Running(run.Layout) is not null || global::Fleet.Orchestration.FleetLock.IsHeld(run.Layout))
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, "the orchestrator did not exit");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_later_runs_briefs_carry_the_doctrine_applied_from_an_earlier_run_and_the_previous_runs_totals()
    {
        await using var run = new FleetRun(FleetJson(ScriptedGates));
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        var first = run.State.RunId!;
        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "builder.prompt.md")).ShouldNotContain("Doctrine");

        var (code, console) = await run.FleetAsync("doctrine", "apply", run.Root, "--run", first).DefaultTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);
        File.ReadAllText(Path.Combine(run.Root, ".fleet", "gates.json")).ShouldContain("Bash(npm test)");

        await OrchestratorGoneAsync(run);
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        run.State.RunId.ShouldNotBe(first);
        var brief = File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "builder.prompt.md"));
        brief.ShouldContain("## Doctrine (from earlier runs)");
        brief.ShouldContain($"Previous run {first}: 2 iterations");
        brief.ShouldContain($"- If you would ask \"Tabs or spaces?\", the answer is: spaces (run {first}, gate builder-2-2)");
        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "reviewer.prompt.md")).ShouldContain("## Doctrine (from earlier runs)");
    }

    [Fact]
    public async Task A_failing_precondition_stops_the_launch_with_exit_2_and_its_text_and_nothing_starts_and_a_passing_one_lets_it_run()
    {
        await using var run = new FleetRun(FleetJson(""));
        run.Dir.Write("fleet/.fleet/preconditions.json", """
            [ { "text": "the checked-out branch is main", "check": ["sh", "-c", "test -f ready || { echo not on main; exit 1; }"], "source": "run r-1, gate builder-1-4" } ]
            """);

        var (code, console) = await run.FleetAsync("launch", run.Root, "--no-tmux").SlowTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain("precondition failed: the checked-out branch is main (run r-1, gate builder-1-4)");
        console.Stderr.ShouldContain("not on main");
        console.Stderr.ShouldContain("nothing was started");
        File.Exists(run.Layout.JournalFile).ShouldBeFalse();
        File.Exists(Path.Combine(run.Root, ".fleet", "launch.json")).ShouldBeFalse();
        run.Starts.ShouldBeEmpty();

        run.Dir.Write("fleet/ready", "");
        (await run.LaunchAndWaitAsync()).ShouldBe(0);
        run.Starts.ShouldContain("builder 1");
    }
}
