using System.Text.Json;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Doctrine;

public sealed class DoctrineApplyTests
{
    private static string Permission(string id, int iteration) =>
        $$"""{"id":"{{id}}","worker":"builder","iteration":{{iteration}},"kind":"permission","tool":"Bash","summary":"npm test","decision":"allow","decided_by":"person","asked_at":"2026-03-01T09:0{{iteration}}:00Z","decided_at":"2026-03-01T09:0{{iteration}}:10Z","waited_ms":1000}""" + "\n";

    private static string Question(string id, int iteration, string question, string day = "2026-03-01", int second = 30) =>
        $$"""{"id":"{{id}}","worker":"builder","iteration":{{iteration}},"kind":"question","tool":"AskUserQuestion","summary":"{{question}}","decision":"answer","decided_by":"person","asked_at":"{{day}}T09:02:{{second}}Z","decided_at":"{{day}}T09:02:{{second + 5}}Z","waited_ms":5000}""" + "\n";

    private static string Answer(string question, string answer) =>
        $$"""{"decision":"answer","always":false,"answers":{"{{question}}":"{{answer}}"},"by":"ana","answered_at":"2026-03-01T09:02:40Z"}""";

    private const string Branch = "Which branch should I target?";
    private const string Tabs = "Should I indent with tabs or spaces?";

    /// <summary>Run r-2 of a fleet: npm test approved 3 times (1), the branch question again (2), the tabs question again (3), a destructive deploy (4, keep).</summary>
    private static TempDir Fleet()
    {
        var dir = new TempDir("fleet-doctrine-");
        dir.Write(".fleet/journal.jsonl", string.Join('\n',
            """{"ts":"2026-02-28T09:00:00Z","type":"run_started","run":"r-1","fleet":"demo"}""",
            """{"ts":"2026-02-28T09:00:01Z","type":"iteration_started","run":"r-1","iteration":1}""",
            """{"ts":"2026-02-28T09:00:02Z","type":"worker_spawning","run":"r-1","worker":"builder","iteration":1}""",
            """{"ts":"2026-02-28T09:01:00Z","type":"worker_ended","run":"r-1","worker":"builder","iteration":1,"outcome":"succeeded","cost_usd":0.5}""",
            """{"ts":"2026-03-01T09:00:00Z","type":"run_started","run":"r-2","fleet":"demo"}""",
            """{"ts":"2026-03-01T09:00:01Z","type":"iteration_started","run":"r-2","iteration":1}""",
            """{"ts":"2026-03-01T09:00:02Z","type":"worker_spawning","run":"r-2","worker":"builder","iteration":1}""",
            """{"ts":"2026-03-01T09:01:00Z","type":"worker_ended","run":"r-2","worker":"builder","iteration":1,"outcome":"succeeded","cost_usd":0.25}""",
            """{"ts":"2026-03-01T09:03:01Z","type":"verdict","run":"r-2","iteration":1,"outcome":"lgtm"}""") + "\n");
        dir.Write("iterations/1/builder.gates.jsonl", Permission("builder-1-1", 1) + Permission("builder-1-2", 1) + Permission("builder-1-3", 1)
            + Question("builder-1-4", 1, Branch, second: 30) + Question("builder-1-5", 1, Tabs, second: 40)
            + """{"id":"builder-1-6","worker":"builder","iteration":1,"kind":"permission","tool":"Bash","summary":"./deploy.sh prod","decision":"allow","decided_by":"person","asked_at":"2026-03-01T09:02:50Z","decided_at":"2026-03-01T09:02:55Z","waited_ms":5000}""" + "\n");
        dir.Write("iterations/1/gates/builder-1-4.answer.json", Answer(Branch, "main"));
        dir.Write("iterations/1/gates/builder-1-5.answer.json", Answer(Tabs, "spaces"));
        dir.Write("iterations/1/gates/builder-1-6.request.json", """{"id":"builder-1-6","worker":"builder","iteration":1,"kind":"permission","tool":"Bash","summary":"./deploy.sh prod","reason":"destructive operation (Bash(./deploy.sh:*)): a person decides","asked_at":"2026-03-01T09:02:50Z"}""");
        dir.Write(".fleet/runs/r-1/iterations/1/builder.gates.jsonl", Question("builder-1-1", 1, Branch, "2026-02-28", 10) + Question("builder-1-2", 1, Tabs, "2026-02-28", 20));
        dir.Write(".fleet/runs/r-1/iterations/1/gates/builder-1-1.answer.json", Answer(Branch, "main"));
        dir.Write(".fleet/runs/r-1/iterations/1/gates/builder-1-2.answer.json", Answer(Tabs, "spaces"));
        dir.Write(".fleet/gates.json", """{ "deny": ["Bash(rm:*)"], "allow": ["Read"] }""");
        return dir;
    }

    [Fact]
    public async Task Retro_numbers_its_recommendations_and_says_how_to_apply_them()
    {
        using var dir = Fleet();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "retro", ".").DefaultTimeout();
        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldContain("1. **avoid** (repeatable_permission, 3×): Add the allow rule Bash(npm test)");
        console.Stdout.ShouldContain("2. **avoid** (repeated_question, 1×): Settle it before launch: the step-0 precondition \"the checked-out branch is main\" in .fleet/doctrine.md");
        console.Stdout.ShouldContain("3. **avoid** (repeated_question, 1×): Record the default in .fleet/doctrine.md: \"If you would ask 'Should I indent");
        console.Stdout.ShouldContain("4. **keep** (destructive, 1×)");
        console.Stdout.ShouldContain("fleet doctrine apply ROOT --run r-2");
    }

    [Fact]
    public async Task Apply_merges_the_allow_rule_into_gates_json_and_writes_a_default_and_a_precondition_each_citing_run_and_gate()
    {
        using var dir = Fleet();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "doctrine", "apply", ".", "--run", "r-2").DefaultTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);

        var gates = File.ReadAllText(dir.Combine(".fleet/gates.json"));
        using (var doc = JsonDocument.Parse(gates))
        {
            doc.RootElement.GetProperty("allow").EnumerateArray().Select(e => e.GetString()).ShouldBe(["Read", "Bash(npm test)"]);
            doc.RootElement.GetProperty("deny").EnumerateArray().Select(e => e.GetString()).ShouldBe(["Bash(rm:*)"]);
        }

        global::Fleet.Validation.FleetValidator.ValidateGates(gates, "gates.json", dir.Path).ShouldNotContain(d => d.Severity == global::Fleet.Validation.Severity.Error);

        var doctrine = File.ReadAllText(dir.Combine(".fleet/doctrine.md"));
        doctrine.ShouldContain("## Defaults\n\n- If you would ask \"Should I indent with tabs or spaces?\", the answer is: spaces (run r-2, gate builder-1-5)\n");
        doctrine.ShouldContain("## Preconditions\n\n- the checked-out branch is main (asked: \"Which branch should I target?\") (run r-2, gate builder-1-4)\n");
        doctrine.IndexOf("## Defaults", StringComparison.Ordinal).ShouldBeLessThan(doctrine.IndexOf("## Preconditions", StringComparison.Ordinal));

        var preconditions = global::Fleet.Doctrine.DoctrineFiles.ReadPreconditions(dir.Path);
        preconditions.Count.ShouldBe(1);
        preconditions[0].Text.ShouldBe("the checked-out branch is main");
        preconditions[0].Check[0].ShouldBe("sh");
        preconditions[0].Check[2].ShouldContain("git rev-parse --abbrev-ref HEAD");
        preconditions[0].Source.ShouldBe("run r-2, gate builder-1-4");

        console.Stdout.ShouldContain("1. added the allow rule Bash(npm test) to .fleet");
        console.Stdout.ShouldContain("2. added the precondition \"the checked-out branch is main\"");
        console.Stdout.ShouldContain("3. added the default: If you would ask");
        console.Stdout.ShouldNotContain("4.");
    }

    [Fact]
    public async Task Applying_twice_adds_nothing_twice()
    {
        using var dir = Fleet();
        (await TestConsole.RunAsync(dir.Path, "doctrine", "apply", ".", "--run", "r-2").DefaultTimeout()).ExitCode.ShouldBe(0);
        var files = new[] { ".fleet/gates.json", ".fleet/doctrine.md", ".fleet/preconditions.json" }.Select(f => File.ReadAllText(dir.Combine(f))).ToList();

        var (code, console) = await TestConsole.RunAsync(dir.Path, "doctrine", "apply", ".", "--run", "r-2").DefaultTimeout();

        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldContain("nothing new to apply; no file changed");
        new[] { ".fleet/gates.json", ".fleet/doctrine.md", ".fleet/preconditions.json" }.Select(f => File.ReadAllText(dir.Combine(f))).ShouldBe(files);
    }

    [Fact]
    public async Task Only_applies_the_chosen_numbers_and_an_unknown_number_is_a_usage_error()
    {
        using var dir = Fleet();
        var (code, console) = await TestConsole.RunAsync(dir.Path, "doctrine", "apply", ".", "--run", "r-2", "--only", "3,4").DefaultTimeout();

        code.ShouldBe(0, console.Stderr);
        File.ReadAllText(dir.Combine(".fleet/gates.json")).ShouldNotContain("npm test");
        File.Exists(dir.Combine(".fleet/preconditions.json")).ShouldBeFalse();
        File.ReadAllText(dir.Combine(".fleet/doctrine.md")).ShouldContain("the answer is: spaces (run r-2, gate builder-1-5)");
        console.Stdout.ShouldContain("4. nothing to apply (destructive: keep)");

        var (bad, badConsole) = await TestConsole.RunAsync(dir.Path, "doctrine", "apply", ".", "--run", "r-2", "--only", "9").DefaultTimeout();
        bad.ShouldBe(2);
        badConsole.Stderr.ShouldContain("no recommendation 9");
    }

    [Fact]
    public void A_setup_answer_without_an_automatic_check_is_a_default()
    {
        global::Fleet.Doctrine.DoctrineApplier.CheckFor("Which environment, staging or production?", "staging").ShouldBeNull();
        global::Fleet.Doctrine.DoctrineApplier.CheckFor("Which command runs the tests?", "npm test")!.Check[2].ShouldContain("test -f 'package.json'");
        global::Fleet.Doctrine.DoctrineApplier.CheckFor("Which branch?", "main; rm -rf /").ShouldBeNull();
    }
}
