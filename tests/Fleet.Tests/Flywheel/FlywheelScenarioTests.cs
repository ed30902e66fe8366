using System.Text.Json;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Flywheel;

/// <summary>
/// Issue 7's acceptance scenario, end to end, on the shipped <c>examples/flywheel</c>: the REAL claude against the
/// rehearsal endpoint, the real orchestrator (<c>fleet launch --rehearse</c>), and a person who answers the inbox with
/// <c>fleet approve|deny|answer</c>. Run 1 needs a person for <c>npm test</c> three times, for the same set-up question
/// twice and for <c>rm -rf build</c>; the retro turns the first five into an allow rule and a default, <c>fleet doctrine
/// apply</c> writes them, and run 2 (whose rehearsal script asks only while the brief lacks the default) needs a person
/// only for the destructive request. <c>fleet trend</c> shows the drop.
/// </summary>
public sealed class FlywheelScenarioTests
{
    private const string Question = "Which environment should the smoke tests run against?";
    private const string Default = $"If you would ask \"{Question}\", the answer is: staging";

    private static string Example => Path.Combine(RepoPaths.Examples, "flywheel");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_1s_avoidable_gates_become_doctrine_and_run_2_asks_a_person_only_for_the_destructive_request()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun(File.ReadAllText(Path.Combine(Example, "fleet.json")));
        CopyExample(run.Root);

        // Run 1: every gate goes to the person.
        var run1 = await LaunchAndAnswerAsync(run, destructive: "approve");
        var first = run.State.RunId!;
        run.State.Ended!.Outcome.ShouldBe("success");
        run1.Order(StringComparer.Ordinal).ShouldBe([
            "api permission npm test", "api permission npm test", "api permission rm -rf build", $"api question {Question}",
            "web permission npm test", $"web question {Question}"]);
        Directory.Exists(Path.Combine(run.Root, "build")).ShouldBeFalse("the person approved rm -rf build in run 1");

        // The retro: npm test → an allow rule, the repeated set-up question → a default, rm -rf build → keep.
        var (retroCode, retro) = await run.FleetAsync("retro", run.Root, "--run", first, "--format", "json").DefaultTimeout();
        retroCode.ShouldBe(0, retro.Stderr);
        var recommendations = Recommendations(retro.Stdout);
        var allow = recommendations.Single(r => r.Class == "repeatable_permission");
        (allow.Action, allow.Rule, allow.Count).ShouldBe(("avoid", "Bash(npm test)", 3));
        var questions = recommendations.Where(r => r.Class is "setup_question" or "repeated_question").ToList();
        questions.Select(q => q.Class).Order(StringComparer.Ordinal).ShouldBe(["repeated_question", "setup_question"]);
        questions.ShouldAllBe(q => q.Action == "avoid" && q.Question == Question && q.Answer == "staging" && q.Count == 1);
        questions.ShouldAllBe(q => q.Text.StartsWith("Record the default in .fleet/doctrine.md", StringComparison.Ordinal) && q.Text.Contains($"If you would ask '{Question}', the answer is: staging", StringComparison.Ordinal));
        var destructive = recommendations.Single(r => r.Class == "destructive");
        (destructive.Action, destructive.Count).ShouldBe(("keep", 1));
        recommendations.Count.ShouldBe(4);

        var (applyCode, apply) = await run.FleetAsync("doctrine", "apply", run.Root, "--run", first).DefaultTimeout();
        applyCode.ShouldBe(0, apply.Stdout + apply.Stderr);
        TestContext.Current.TestOutputHelper?.WriteLine(apply.Stdout);
        using (var gatesJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Root, ".fleet", "gates.json"))))
        {
            gatesJson.RootElement.GetProperty("allow").EnumerateArray().Select(e => e.GetString()).ShouldBe(["Bash(npm test)"]);
        }

        var doctrine = File.ReadAllText(Path.Combine(run.Root, ".fleet", "doctrine.md"));
        doctrine.ShouldContain($"- {Default} (run {first}, gate ");
        doctrine.Split(Default).Length.ShouldBe(2, "the default is written once, though two gates recommend it");

        // Run 2: the same fleet, launched again; the briefs carry the doctrine.
        Directory.CreateDirectory(Path.Combine(run.Root, "build"));
        var run2 = await LaunchAndAnswerAsync(run, destructive: "deny");
        var second = run.State.RunId!;
        second.ShouldNotBe(first);
        run.State.Ended!.Outcome.ShouldBe("success");
        run2.ShouldBe(["api permission rm -rf build"]);
        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "api.prompt.md")).ShouldContain(Default);
        var apiGates = GateLog(run.Root, "api");
        apiGates.Select(g => (g.Summary, g.Decision, g.DecidedBy, g.Rule)).ShouldBe([
            ("npm test", "allow", "rule", "Bash(npm test)"), ("npm test", "allow", "rule", "Bash(npm test)"), ("rm -rf build", "deny", "person", null)]);
        GateLog(run.Root, "web").Select(g => (g.Summary, g.DecidedBy, g.Rule)).ShouldBe([("npm test", "rule", "Bash(npm test)")]);
        Directory.Exists(Path.Combine(run.Root, "build")).ShouldBeTrue("the person denied rm -rf build in run 2");

        // Run 2's retro has nothing left to avoid.
        var (retro2Code, retro2) = await run.FleetAsync("retro", run.Root, "--format", "json").DefaultTimeout();
        retro2Code.ShouldBe(0, retro2.Stderr);
        Recommendations(retro2.Stdout).Select(r => (r.Class, r.Action, r.Count)).OrderBy(r => r.Class, StringComparer.Ordinal).ShouldBe([("destructive", "keep", 1), ("rule", "keep", 3)]);

        // The trend: interventions per worker (an issue, outside team mode) from 6/2 to 1/2.
        var (trendCode, trend) = await run.FleetAsync("trend", run.Root, "--json").DefaultTimeout();
        trendCode.ShouldBe(0, trend.Stderr);
        using var rows = JsonDocument.Parse(trend.Stdout);
        var (r1, r2) = (rows.RootElement[0], rows.RootElement[1]);
        rows.RootElement.GetArrayLength().ShouldBe(2);
        (r1.GetProperty("run").GetString(), r2.GetProperty("run").GetString()).ShouldBe((first, second));
        (r1.GetProperty("workers").GetInt32(), r2.GetProperty("workers").GetInt32()).ShouldBe((2, 2));
        (r1.GetProperty("interventions").GetInt32(), r2.GetProperty("interventions").GetInt32()).ShouldBe((6, 1));
        r1.GetProperty("interventions_per_worker").GetDouble().ShouldBe(3.0);
        r2.GetProperty("interventions_per_worker").GetDouble().ShouldBe(0.5);
        Classes(r1).ShouldBe(["destructive 1", "repeatable_permission 3", "repeated_question 1", "setup_question 1"]);
        Classes(r2).ShouldBe(["destructive 1", "rule 3"]);

        var (tableCode, table) = await run.FleetAsync("trend", run.Root).DefaultTimeout();
        tableCode.ShouldBe(0, table.Stderr);
        TestContext.Current.TestOutputHelper?.WriteLine(table.Stdout);
        var html = Path.Combine(AppContext.BaseDirectory, "flywheel", "trend.html");
        Directory.CreateDirectory(Path.GetDirectoryName(html)!);
        var (htmlCode, htmlConsole) = await run.FleetAsync("trend", run.Root, "--html", html).DefaultTimeout();
        htmlCode.ShouldBe(0, htmlConsole.Stderr);
        var page = File.ReadAllText(html);
        page.ShouldContain("<svg");
        page.ShouldContain(first);
        page.ShouldContain(second);
    }

    /// <summary>
    /// The memory experiment's two arms on the flywheel: run 1 (memory) leaves doctrine and an allow rule behind; run 2,
    /// launched with --no-memory in the same root, ignores them and asks the person the avoidable gates again; the trend
    /// shows both arms and the retro says which arm run 2 was.
    /// </summary>
    [Fact]
    public async Task The_no_memory_arm_ignores_what_earlier_runs_left_and_asks_the_avoidable_gates_again()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun(File.ReadAllText(Path.Combine(Example, "fleet.json")));
        CopyExample(run.Root);

        var memory = await LaunchAndAnswerAsync(run, destructive: "approve");
        var first = run.State.RunId!;
        var (applyCode, apply) = await run.FleetAsync("doctrine", "apply", run.Root, "--run", first).DefaultTimeout();
        applyCode.ShouldBe(0, apply.Stdout + apply.Stderr);
        File.ReadAllText(Path.Combine(run.Root, ".fleet", "doctrine.md")).ShouldContain(Default);

        Directory.CreateDirectory(Path.Combine(run.Root, "build"));
        var noMemory = await LaunchAndAnswerAsync(run, destructive: "approve", "--no-memory");
        var second = run.State.RunId!;
        run.State.Arm.ShouldBe("no-memory");
        run.State.Ended!.Outcome.ShouldBe("success");
        noMemory.Order(StringComparer.Ordinal).ShouldBe(memory.Order(StringComparer.Ordinal), "the avoidable gates are asked again");
        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "api.prompt.md")).ShouldNotContain(Default);
        GateLog(run.Root, "api").ShouldAllBe(g => g.DecidedBy == "person", "no rule from .fleet/gates.json decided a gate");

        var (trendCode, trend) = await run.FleetAsync("trend", run.Root, "--json").DefaultTimeout();
        trendCode.ShouldBe(0, trend.Stderr);
        using (var rows = JsonDocument.Parse(trend.Stdout))
        {
            rows.RootElement.EnumerateArray().Select(r => (r.GetProperty("run").GetString(), r.GetProperty("arm").GetString(), r.GetProperty("interventions").GetInt32()))
                .ShouldBe([(first, "memory", 6), (second, "no-memory", 6)]);
        }

        var (tableCode, table) = await run.FleetAsync("trend", run.Root).DefaultTimeout();
        tableCode.ShouldBe(0, table.Stderr);
        table.Stdout.ShouldContain("Interventions per issue by arm:");
        table.Stdout.ShouldContain("no-memory  1 run  6 interventions over 2 issues  3 per issue");

        var (retroCode, retro) = await run.FleetAsync("retro", run.Root).DefaultTimeout();
        retroCode.ShouldBe(0, retro.Stderr);
        retro.Stdout.ShouldStartWith($"# Retrospective: flywheel, run {second} (no-memory arm)");
    }

    /// <summary>
    /// The memory experiment as docs/flywheel.md says to run it: each arm on a fresh copy of the flywheel, the same
    /// scenario in each (run 1, its retro's doctrine applied, run 2). The memory arm's run 2 asks a person only the
    /// destructive request; the no-memory arm's run 2 asks every avoidable gate again; one <c>fleet trend</c> over both
    /// copies shows both arms.
    /// </summary>
    [Fact]
    public async Task On_fresh_copies_the_no_memory_arm_asks_the_avoidable_gates_again_and_the_memory_arm_does_not()
    {
        AgentCli.RequireOrSkip("claude");
        await using var none = new FleetRun(File.ReadAllText(Path.Combine(Example, "fleet.json")));
        await using var memory = new FleetRun(File.ReadAllText(Path.Combine(Example, "fleet.json")));
        CopyExample(none.Root);
        CopyExample(memory.Root);

        var noneArm = await ArmAsync(none, "--no-memory");
        var memoryArm = await ArmAsync(memory);

        memoryArm.Run2.ShouldBe(["api permission rm -rf build"]);
        noneArm.Run2.Order(StringComparer.Ordinal).ShouldBe(noneArm.Run1.Order(StringComparer.Ordinal), "the no-memory arm asks its run-1 gates again");
        noneArm.Run1.Order(StringComparer.Ordinal).ShouldBe(memoryArm.Run1.Order(StringComparer.Ordinal), "both arms start from the same backlog");

        var (trendCode, trend) = await memory.FleetAsync("trend", none.Root, memory.Root, "--json").DefaultTimeout();
        trendCode.ShouldBe(0, trend.Stderr);
        using (var rows = JsonDocument.Parse(trend.Stdout))
        {
            rows.RootElement.EnumerateArray().Select(r => (r.GetProperty("run").GetString(), r.GetProperty("arm").GetString(), r.GetProperty("interventions").GetInt32()))
                .ShouldBe([(noneArm.First, "no-memory", 6), (noneArm.Second, "no-memory", 6), (memoryArm.First, "memory", 6), (memoryArm.Second, "memory", 1)]);
            var classes = rows.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("run").GetString()!, Classes);
            classes[noneArm.First].ShouldBe(["destructive 1", "repeatable_permission 3", "repeated_question 1", "setup_question 1"]);
            classes[noneArm.Second].ShouldBe(["destructive 1", "repeatable_permission 3", "repeated_question 2"], "run 2 asks again what run 1 asked: both questions are repeats now");
            classes[memoryArm.Second].ShouldBe(["destructive 1", "rule 3"]);
        }

        var (tableCode, table) = await memory.FleetAsync("trend", none.Root, memory.Root).DefaultTimeout();
        tableCode.ShouldBe(0, table.Stderr);
        TestContext.Current.TestOutputHelper?.WriteLine(table.Stdout);
        table.Stdout.ShouldContain("memory     2 runs  7 interventions over 4 issues  1.75 per issue");
        table.Stdout.ShouldContain("no-memory  2 runs  12 interventions over 4 issues  3 per issue");
    }

    [Fact]
    public async Task A_trend_over_several_roots_refuses_one_that_does_not_exist()
    {
        using var dir = new TempDir("trend-roots-");
        var (code, console) = await TestConsole.RunAsync(dir.Path, new Dictionary<string, string> { ["FLEET_HOME"] = dir.Combine("home") }, "trend", dir.Path, "missing").DefaultTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain("missing: no such folder");
    }

    /// <summary>One arm of the experiment on its own copy: run 1, the retro's doctrine applied, run 2, each launched with <paramref name="arm"/>.</summary>
    private static async Task<(List<string> Run1, string First, List<string> Run2, string Second)> ArmAsync(FleetRun run, params string[] arm)
    {
        var run1 = await LaunchAndAnswerAsync(run, "approve", arm);
        var first = run.State.RunId!;
        var (applyCode, apply) = await run.FleetAsync("doctrine", "apply", run.Root, "--run", first).DefaultTimeout();
        applyCode.ShouldBe(0, apply.Stdout + apply.Stderr);
        Directory.CreateDirectory(Path.Combine(run.Root, "build"));
        var run2 = await LaunchAndAnswerAsync(run, "deny", arm);
        run.State.Ended!.Outcome.ShouldBe("success");
        return (run1, first, run2, run.State.RunId!);
    }

    /// <summary>Launches the fleet and plays the person until the run ends; returns "worker kind asked" for each gate the person answered.</summary>
    private static async Task<List<string>> LaunchAndAnswerAsync(FleetRun run, string destructive, params string[] launchOptions)
    {
        var (code, console) = await run.FleetAsync(["launch", run.Root, "--rehearse", "--no-tmux", .. launchOptions]).SlowTimeout();
        code.ShouldBe(0, console.Stdout + console.Stderr);
        var runId = run.State.RunId;
        var answered = new List<string>();
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow + TestTimeouts.Slow;
        while (run.State is var state && (state.RunId != runId || state.Ended is null || GateInbox.Open(run.Layout).Count > 0))
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, $"run {runId} did not end; gates answered: {string.Join("; ", answered)}");
            foreach (var gate in GateInbox.Open(run.Layout))
            {
                var r = gate.Request;
                string[] args = (r.Kind, r.Summary) switch
                {
                    (GateKinds.Question, Question) => ["answer", run.Root, gate.Id, "staging"],
                    (GateKinds.Permission, "npm test") => ["approve", run.Root, gate.Id],
                    (GateKinds.Permission, "rm -rf build") => destructive == "approve" ? ["approve", run.Root, gate.Id] : ["deny", run.Root, gate.Id, "--message", "Keep the build."],
                    _ => throw new InvalidOperationException($"a gate the scenario does not expect: {r.Worker} {r.Kind} {r.Tool}: {r.Summary} ({r.Reason})"),
                };
                var (answerCode, answer) = await run.FleetAsync(args).DefaultTimeout();
                answerCode.ShouldBe(0, answer.Stdout + answer.Stderr);
                answered.Add($"{r.Worker} {r.Kind} {r.Summary}");
            }

            await Task.Delay(100, Ct);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"run {runId}: {run.State.Ended?.Outcome}: {run.State.Ended?.Reason}; a person answered {answered.Count}: {string.Join("; ", answered)}");
        return answered;
    }

    private static void CopyExample(string root)
    {
        foreach (var file in Directory.GetFiles(Example, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(root, Path.GetRelativePath(Example, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }

        Directory.CreateDirectory(Path.Combine(root, "build"));
    }

    private sealed record Recommendation(string Class, string Action, string Text, int Count, string? Rule, string? Question, string? Answer);

    private static List<Recommendation> Recommendations(string retroJson)
    {
        using var doc = JsonDocument.Parse(retroJson);
        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return [.. doc.RootElement.GetProperty("recommendations").EnumerateArray().Select(r => new Recommendation(
            Text(r, "class")!, Text(r, "action")!, Text(r, "text")!, r.GetProperty("count").GetInt32(), Text(r, "rule"), Text(r, "question"), Text(r, "answer")))];
    }

    private static List<string> Classes(JsonElement row) =>
        [.. row.GetProperty("gates_by_class").EnumerateObject().Select(p => $"{p.Name} {p.Value.GetInt32()}").Order(StringComparer.Ordinal)];

    private static List<GateRecord> GateLog(string root, string worker) =>
        [.. File.ReadAllLines(GatePaths.Log(Path.Combine(root, "iterations", "1"), worker)).Select(l => JsonSerializer.Deserialize(l, GateJsonContext.Default.GateRecord)!)];
}
