using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Retro;

public sealed class RetroCommandTests
{
    private static string Gate(string id, int iteration, string summary, long waitedMs) =>
        $$"""{"id":"{{id}}","worker":"builder","iteration":{{iteration}},"kind":"permission","tool":"Bash","summary":"{{summary}}","decision":"allow","decided_by":"person","asked_at":"2026-03-01T09:0{{iteration}}:00Z","decided_at":"2026-03-01T09:0{{iteration}}:10Z","waited_ms":{{waitedMs}}}""" + "\n";

    private static TempDir Fleet()
    {
        var dir = new TempDir("fleet-retro-");
        dir.Write(".fleet/journal.jsonl", string.Join('\n',
            """{"ts":"2026-02-28T09:00:00Z","type":"run_started","run":"r-1","fleet":"demo"}""",
            """{"ts":"2026-02-28T09:00:01Z","type":"iteration_started","run":"r-1","iteration":1}""",
            """{"ts":"2026-02-28T09:00:02Z","type":"worker_spawning","run":"r-1","worker":"builder","iteration":1}""",
            """{"ts":"2026-02-28T09:01:00Z","type":"worker_ended","run":"r-1","worker":"builder","iteration":1,"outcome":"succeeded","cost_usd":0.5}""",
            """{"ts":"2026-03-01T09:00:00Z","type":"run_started","run":"r-2","fleet":"demo"}""",
            """{"ts":"2026-03-01T09:00:01Z","type":"iteration_started","run":"r-2","iteration":1}""",
            """{"ts":"2026-03-01T09:00:02Z","type":"worker_spawning","run":"r-2","worker":"builder","iteration":1}""",
            """{"ts":"2026-03-01T09:01:00Z","type":"worker_ended","run":"r-2","worker":"builder","iteration":1,"outcome":"succeeded","cost_usd":0.25}""",
            """{"ts":"2026-03-01T09:01:01Z","type":"verdict","run":"r-2","iteration":1,"outcome":"iterate","reason":"tests missing"}""",
            """{"ts":"2026-03-01T09:02:00Z","type":"iteration_started","run":"r-2","iteration":2}""",
            """{"ts":"2026-03-01T09:02:01Z","type":"worker_spawning","run":"r-2","worker":"builder","iteration":2}""",
            """{"ts":"2026-03-01T09:03:00Z","type":"worker_ended","run":"r-2","worker":"builder","iteration":2,"outcome":"succeeded","cost_usd":0.25}""",
            """{"ts":"2026-03-01T09:03:01Z","type":"verdict","run":"r-2","iteration":2,"outcome":"lgtm"}""") + "\n");
        dir.Write("iterations/1/builder.gates.jsonl", Gate("builder-1-1", 1, "npm test", 400_000) + Gate("builder-1-2", 1, "npm test", 1000));
        dir.Write("iterations/1/review.md", "verdict: iterate\n\n## builder\nAdd a test for the empty input.\n");
        dir.Write("iterations/2/builder.gates.jsonl", Gate("builder-2-1", 2, "npm test", 1000)
            + """{"id":"builder-2-2","worker":"builder","iteration":2,"kind":"question","tool":"AskUserQuestion","summary":"Which branch should I target?","decision":"answer","decided_by":"person","asked_at":"2026-03-01T09:02:30Z","decided_at":"2026-03-01T09:02:40Z","waited_ms":10000}""" + "\n");
        dir.Write("iterations/2/builder.gates.jsonl", File.ReadAllText(dir.Combine("iterations/2/builder.gates.jsonl")) + Gate("builder-2-3", 2, "./deploy.sh prod", 2000));
        dir.Write("iterations/2/gates/builder-2-3.request.json", """{"id":"builder-2-3","worker":"builder","iteration":2,"kind":"permission","tool":"Bash","summary":"./deploy.sh prod","reason":"destructive operation (Bash(./deploy.sh:*)): a person decides, whatever wildcard rule matches","asked_at":"2026-03-01T09:02:00Z"}""");
        dir.Write("iterations/2/gates/builder-2-2.answer.json", """{"decision":"answer","always":false,"answers":{"Which branch should I target?":"main"},"by":"ana","answered_at":"2026-03-01T09:02:40Z"}""");
        dir.Write(".fleet/runs/r-1/iterations/1/builder.gates.jsonl",
            """{"id":"builder-1-1","worker":"builder","iteration":1,"kind":"question","tool":"AskUserQuestion","summary":"Which branch should I target?","decision":"answer","decided_by":"person","asked_at":"2026-02-28T09:00:30Z","decided_at":"2026-02-28T09:00:40Z","waited_ms":10000}""" + "\n");
        dir.Write(".fleet/runs/r-1/iterations/1/gates/builder-1-1.answer.json", """{"decision":"answer","always":false,"answers":{"Which branch should I target?":"main"},"by":"ana","answered_at":"2026-02-28T09:00:40Z"}""");
        return dir;
    }

    [Fact]
    public async Task Retro_reports_iterations_to_approval_rework_a_stall_the_previous_run_and_one_allow_rule()
    {
        using var dir = Fleet();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "retro", ".").DefaultTimeout();

        var text = console.Out.ToString()!;
        code.ShouldBe(0, text + console.Error);
        text.ShouldStartWith("# Retrospective: demo, run r-2");
        text.ShouldContain("| cost | $0.50 | $0.50 |");
        text.ShouldContain("| iterations | 2 | 1 |");
        text.ShouldContain("iterations: 2; to approval: 2; rework: 1");
        text.ShouldContain("iteration 1: verdict iterate — Add a test for the empty input.");
        text.ShouldContain("stall: permission npm test waited 6m 40s");
        text.ShouldContain("Settle it before launch: the step-0 precondition \"the checked-out branch is main\" in .fleet/doctrine.md, checked by fleet launch (asked: 'Which branch should I target?', answered: main).");
        text.ShouldContain("| gates | 5 | 1 |");
        text.ShouldContain("| builder-2-3 | 2 | permission | ./deploy.sh prod | allow | person | 2s | 10s | $0.25 | destructive (keep) |");
        text.ShouldContain("3. **keep** (destructive, 1×): Keep: always ask before a destructive operation (Bash(./deploy.sh:*)).");
        text.ShouldContain("Add the allow rule Bash(npm test) to \"allow\" in .fleet/gates.json (approved 3 of 3 times, not destructive).");
    }

    [Fact]
    public async Task Retro_json_writes_only_json_and_an_unknown_run_is_a_usage_error()
    {
        using var dir = Fleet();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "retro", ".", "--format", "json").DefaultTimeout();
        code.ShouldBe(0);
        using var doc = System.Text.Json.JsonDocument.Parse(console.Out.ToString()!);
        doc.RootElement.GetProperty("run").GetString().ShouldBe("r-2");
        doc.RootElement.GetProperty("previous").GetProperty("run").GetString().ShouldBe("r-1");

        var (bad, _) = await TestConsole.RunAsync(dir.Path, "retro", ".", "--run", "r-9").DefaultTimeout();
        bad.ShouldBe(2);
    }
}
