using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Cli.Commands;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Gates.Inbox;

/// <summary>The inbox through the real CLI, on gate files written the way the shim writes them.</summary>
public sealed class GateInboxTests : IDisposable
{
    private static readonly DateTimeOffset AskedAt = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new("fleet-inbox-");

    public GateInboxTests()
    {
        Root = _dir.Combine("fleet");
        Layout = new FleetLayout(Root);
        Directory.CreateDirectory(Root);
    }

    private string Root { get; }

    private FleetLayout Layout { get; }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Inbox_lists_a_request_without_a_closed_record_and_leaves_closed_ones_out()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });
        Ask("builder-1-2", "Write", "/w/a.txt", new JsonObject { ["file_path"] = "/w/a.txt" });
        Close("builder-1-2", "allow", "rule", "Write(/w/a.txt)");

        var (code, console) = await Fleet("inbox", Root, "--json");
        using var _ = console;

        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        var gates = doc.RootElement.EnumerateArray().ToList();
        gates.Select(g => g.GetProperty("gate").GetString()).ShouldBe(["builder-1-1"]);
        gates[0].GetProperty("state").GetString().ShouldBe("open");
        gates[0].GetProperty("line").GetString()!.ShouldStartWith("needs you: builder wants Bash: npm test (waiting ");
        gates[0].GetProperty("commands")[0].GetString().ShouldBe($"fleet approve {Root} builder-1-1");
    }

    [Fact]
    public async Task Approve_creates_the_answer_once_and_a_second_answer_is_exit_2_and_changes_nothing()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });

        var (first, console1) = await Fleet("approve", Root, "builder-1-1");
        using var _ = console1;
        first.ShouldBe(0, console1.Stderr);
        console1.Stdout.ShouldContain("approved builder's Bash: npm test");
        var answerFile = GatePaths.Answer(Layout.IterationDir(1), "builder-1-1");
        var written = await File.ReadAllTextAsync(answerFile, TestContext.Current.CancellationToken);
        JsonSerializer.Deserialize(written, GateJsonContext.Default.GateAnswer)!.Decision.ShouldBe("allow");

        var (second, console2) = await Fleet("deny", Root, "builder-1-1", "--message", "no");
        using var __ = console2;
        second.ShouldBe(2);
        console2.Stderr.ShouldContain("gate builder-1-1 was already answered: allow by a person");
        console2.Stderr.ShouldContain("nothing changed");
        (await File.ReadAllTextAsync(answerFile, TestContext.Current.CancellationToken)).ShouldBe(written);
    }

    [Fact]
    public async Task Answering_a_closed_gate_is_exit_2_and_writes_no_answer()
    {
        Ask("builder-1-1", "Bash", "rm -rf build", new JsonObject { ["command"] = "rm -rf build" });
        Close("builder-1-1", "deny", "rule", "Bash(rm -rf:*)");

        var (code, console) = await Fleet("approve", Root, "builder-1-1");
        using var _ = console;

        code.ShouldBe(2);
        console.Stderr.ShouldContain("gate builder-1-1 is closed (deny by rule Bash(rm -rf:*)); nothing changed");
        File.Exists(GatePaths.Answer(Layout.IterationDir(1), "builder-1-1")).ShouldBeFalse();
    }

    [Fact]
    public async Task Two_people_answering_at_once_get_exactly_one_answer_in()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });

        var results = await Task.WhenAll(
            Enumerable.Range(0, 6).Select(i => Task.Run(() => GateInbox.AnswerAsync(Layout, "builder-1-1",
                new GateAnswer(i % 2 == 0 ? "allow" : "deny", null, false, null, $"person{i}", AskedAt), TimeProvider.System, TestContext.Current.CancellationToken)))).DefaultTimeout();

        results.Count(r => r.Ok).ShouldBe(1);
        results.Where(r => !r.Ok).ShouldAllBe(r => r.Status == AnswerStatus.AlreadyAnswered);
        var answer = JsonSerializer.Deserialize(await File.ReadAllTextAsync(GatePaths.Answer(Layout.IterationDir(1), "builder-1-1"), TestContext.Current.CancellationToken), GateJsonContext.Default.GateAnswer)!;
        answer.By.ShouldBe(results.Single(r => r.Ok).Gate!.Answer!.By);
    }

    [Fact]
    public async Task Approve_always_adds_the_exact_request_as_an_allow_rule_for_the_run()
    {
        await StartRunAsync("r-test-1");
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });
        Ask("builder-1-2", "Write", "/w/src/a.cs", new JsonObject { ["file_path"] = "/w/src/a.cs", ["content"] = "x" });

        (await Fleet("approve", Root, "builder-1-1", "--always")).ExitCode.ShouldBe(0);
        var (code, console) = await Fleet("approve", Root, "builder-1-2", "--always", "--json");
        using var _ = console;

        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        doc.RootElement.GetProperty("rule_added").GetString().ShouldBe("Write(/w/src/a.cs)");
        var rules = JsonSerializer.Deserialize(await File.ReadAllTextAsync(GatePaths.RunRules(Layout.StateDir), TestContext.Current.CancellationToken), GateJsonContext.Default.RunGateRules)!;
        rules.Run.ShouldBe("r-test-1");
        rules.Allow.ShouldBe(["Bash(npm test)", "Write(/w/src/a.cs)"]);
        JsonSerializer.Deserialize(await File.ReadAllTextAsync(GatePaths.Answer(Layout.IterationDir(1), "builder-1-1"), TestContext.Current.CancellationToken), GateJsonContext.Default.GateAnswer)!.Always.ShouldBeTrue();
    }

    [Fact]
    public async Task Rules_of_an_earlier_run_are_not_carried_into_the_next()
    {
        await StartRunAsync("r-old");
        await RunRules.AddAsync(Layout, "Bash(make)", TimeProvider.System, TestContext.Current.CancellationToken);
        await StartRunAsync("r-new");

        var rules = await RunRules.AddAsync(Layout, "Bash(npm test)", TimeProvider.System, TestContext.Current.CancellationToken);

        rules.Run.ShouldBe("r-new");
        rules.Allow.ShouldBe(["Bash(npm test)"]);
    }

    [Theory]
    [InlineData("Bash", """{"command":"npm test","description":"run tests"}""", "Bash(npm test)")]
    [InlineData("Write", """{"file_path":"/abs/path/a.txt","content":"x"}""", "Write(/abs/path/a.txt)")]
    [InlineData("Edit", """{"file_path":"/abs/b.cs","old_string":"a","new_string":"b"}""", "Edit(/abs/b.cs)")]
    [InlineData("NotebookEdit", """{"notebook_path":"/abs/n.ipynb"}""", "NotebookEdit(/abs/n.ipynb)")]
    [InlineData("WebFetch", """{"url":"https://docs.example.com/a?b=c","prompt":"read"}""", "WebFetch(domain:docs.example.com)")]
    [InlineData("mcp__github__create_issue", """{"title":"x"}""", "mcp__github__create_issue")]
    [InlineData("Bash", """{"command":42}""", "Bash")]
    public void The_always_rule_is_derived_from_the_tool_and_its_input(string tool, string input, string rule) =>
        AlwaysRule.For(tool, JsonNode.Parse(input)!.AsObject()).ShouldBe(rule);

    [Fact]
    public async Task A_question_is_answered_by_option_number_or_label_and_not_approved()
    {
        var questions = JsonNode.Parse("""
            {"questions":[
              {"question":"Which database?","header":"DB","multiSelect":false,"options":[{"label":"Postgres","description":""},{"label":"SQLite","description":""}]},
              {"question":"Which checks?","header":"CI","multiSelect":true,"options":[{"label":"lint"},{"label":"tests"},{"label":"bench"}]}]}
            """)!.AsObject();
        Ask("planner-1-1", "AskUserQuestion", "Which database?", questions, kind: "question");

        var (approve, refused) = await Fleet("approve", Root, "planner-1-1");
        using var _ = refused;
        approve.ShouldBe(2);
        refused.Stderr.ShouldContain("is a question, not a permission");

        var (tooFew, short_) = await Fleet("answer", Root, "planner-1-1", "2");
        using var __ = short_;
        tooFew.ShouldBe(2);
        short_.Stderr.ShouldContain("asks 2 questions; give one answer each (got 1)");

        var (code, console) = await Fleet("answer", Root, "planner-1-1", "sqlite", "1,3");
        using var ___ = console;
        code.ShouldBe(0, console.Stderr);
        var answer = JsonSerializer.Deserialize(await File.ReadAllTextAsync(GatePaths.Answer(Layout.IterationDir(1), "planner-1-1"), TestContext.Current.CancellationToken), GateJsonContext.Default.GateAnswer)!;
        answer.Decision.ShouldBe("answer");
        answer.Answers!["Which database?"].ShouldBe("SQLite");
        answer.Answers!["Which checks?"].ShouldBe("lint, bench");
    }

    [Fact]
    public async Task A_permission_cannot_be_answered_as_a_question()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });

        var (code, console) = await Fleet("answer", Root, "builder-1-1", "yes");
        using var _ = console;

        code.ShouldBe(2);
        console.Stderr.ShouldContain("it is not a question");
        File.Exists(GatePaths.Answer(Layout.IterationDir(1), "builder-1-1")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_gate_whose_worker_ended_is_abandoned_not_listed_and_not_answerable()
    {
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });
        await File.WriteAllTextAsync(Path.Combine(Layout.IterationDir(1), "builder.exit.json"), "{}", TestContext.Current.CancellationToken);

        GateInbox.Open(Layout).ShouldBeEmpty();
        var (code, console) = await Fleet("approve", Root, "builder-1-1");
        using var _ = console;

        code.ShouldBe(2);
        console.Stderr.ShouldContain("can no longer be answered: builder (iteration 1) has ended");
    }

    [Fact]
    public async Task An_unknown_gate_is_exit_2()
    {
        var (code, console) = await Fleet("deny", Root, "nobody-1-1");
        using var _ = console;

        code.ShouldBe(2);
        console.Stderr.ShouldContain("no gate \"nobody-1-1\"");
    }

    [Fact]
    public async Task Status_says_needs_you_with_the_worker_the_request_and_the_wait()
    {
        await StartRunAsync("r-status");
        Ask("builder-1-1", "Bash", "npm test", new JsonObject { ["command"] = "npm test" });
        var clock = new FixedClock(AskedAt + TimeSpan.FromSeconds(130));

        var status = FleetStatus.Read(Root, clock);
        var text = RunControlCommands.Render(status);
        var json = RunControlCommands.ToJson(status);

        text.ShouldContain($"needs you: builder wants Bash: npm test (waiting 2m 10s) — fleet approve {Root} builder-1-1 | fleet deny {Root} builder-1-1");
        json.NeedsYou!.Single().WaitingSeconds.ShouldBe(130);
        json.NeedsYou!.Single().Line.ShouldContain("(waiting 2m 10s)");

        var (code, console) = await Fleet("status", Root, "--json");
        using var _ = console;
        code.ShouldBe(0, console.Stderr);
        using var doc = JsonDocument.Parse(console.Stdout);
        doc.RootElement.GetProperty("needs_you")[0].GetProperty("gate").GetString().ShouldBe("builder-1-1");
    }

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(130, "2m 10s")]
    [InlineData(3_900, "1h 5m")]
    public void Waits_read_as_a_person_says_them(int seconds, string text) => GateText.Duration(TimeSpan.FromSeconds(seconds)).ShouldBe(text);

    private Task<(int ExitCode, TestConsole Console)> Fleet(params string[] args) => TestConsole.RunAsync(_dir.Path, args);

    private void Ask(string id, string tool, string summary, JsonObject input, string kind = "permission", int iteration = 1)
    {
        var worker = id[..id.IndexOf('-', StringComparison.Ordinal)];
        var dir = GatePaths.Dir(Layout.IterationDir(iteration));
        Directory.CreateDirectory(dir);
        var request = new GateRequest(id, worker, iteration, kind, tool, summary, input, "no rule matched", AskedAt);
        File.WriteAllText(GatePaths.Request(Layout.IterationDir(iteration), id), JsonSerializer.Serialize(request, GateJsonContext.Default.GateRequest));
    }

    private void Close(string id, string decision, string decidedBy, string? rule)
    {
        var request = JsonSerializer.Deserialize(File.ReadAllText(GatePaths.Request(Layout.IterationDir(1), id)), GateJsonContext.Default.GateRequest)!;
        var record = new GateRecord(id, request.Worker, 1, request.Kind, request.Tool, request.Summary, decision, decidedBy, rule, null, AskedAt, AskedAt, 0);
        File.WriteAllText(GatePaths.Closed(Layout.IterationDir(1), id), JsonSerializer.Serialize(record, GateJsonContext.Default.GateRecord));
    }

    private Task<JournalEntry> StartRunAsync(string run) =>
        new Journal(Layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.RunStarted, Run = run, Fleet = "inbox", FleetType = "dag", SpawnMode = "background" }, TestContext.Current.CancellationToken);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
