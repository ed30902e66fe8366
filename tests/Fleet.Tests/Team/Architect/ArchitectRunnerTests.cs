using System.Text.Json;
using Fleet.Pricing;
using Fleet.Rehearsal;
using Fleet.Team;
using Fleet.Telemetry;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Providers;
using Fleet.Tests.Rehearsal;
using Fleet.Tests.Worktrees;

namespace Fleet.Tests.Team.Architect;

/// <summary>The architect run by the real claude (pinned 2.1.197) against the rehearsal endpoint, in a real git repository.</summary>
public class ArchitectRunnerTests
{
    private const string Model = "claude-sonnet-4-5";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Script(string turnsJson) => $$"""{ "rules": [ { "fleet": "shop", "worker": "architect", "iteration": 1, "turns": {{turnsJson}} } ] }""";

    private static async Task<TestRepo> RepoAsync()
    {
        var repo = await TestRepo.CreateAsync();
        foreach (var file in ArchitectFixture.RepoFiles.Where(f => f != "README.md"))
        {
            repo.Write(file, "// " + file + "\n");
        }

        await repo.GitAsync("add", ".");
        await repo.GitAsync("commit", "--quiet", "-m", "the shop");
        return repo;
    }

    private static ArchitectRequest Request(TestRepo repo, RehearsalServer server, string sessionId) => new()
    {
        RepositoryDirectory = repo.Path,
        Issues = ArchitectFixture.Issues,
        RawOutputPath = repo.Temp.Combine("team", "architect.log"),
        SharedFolders = ["db/migrations/"],
        Model = Model,
        SessionId = sessionId,
        Rehearsal = new ArchitectRehearsal(server.BaseUrl, "shop", repo.Temp.Combine("team", "rehearsal")),
        ClaudeExecutable = AgentCli.RequireOrSkip("claude"),
    };

    private static async Task<(TestRepo Repo, RehearsalServer Server)> StartAsync(string turnsJson)
    {
        AgentCli.RequireOrSkip("claude");
        var repo = await RepoAsync();
        var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script(turnsJson)) }, Ct).DefaultTimeout();
        return (repo, server);
    }

    [Fact]
    public async Task The_architect_returns_the_footprints_the_model_gave_for_four_issues_with_its_cost_and_session()
    {
        var (repo, server) = await StartAsync($$"""
            [ { "type": "tool_call", "name": "Read", "input": { "file_path": "{cwd}/src/Api/Endpoints.cs" } },
              { "type": "structured_output", "value": {{ArchitectFixture.AnswerJson}}, "usage": { "input_tokens": 2000, "output_tokens": 300 } } ]
            """);
        using var _ = repo;
        await using var __ = server;
        var session = Guid.NewGuid().ToString();

        var result = await ArchitectRunner.RunAsync(Request(repo, server, session), Ct).SlowTimeout();

        using var expected = JsonDocument.Parse(ArchitectFixture.AnswerJson);
        var want = ArchitectAnswer.Read(expected.RootElement, [1, 2, 3, 4], out var noProblems)!;
        noProblems.ShouldBeEmpty();
        JsonSerializer.Serialize(result.Footprints).ShouldBe(JsonSerializer.Serialize(want.Footprints));
        result.Footprints.Select(f => f.Issue).ShouldBe([1, 2, 3, 4]);
        result.Footprints.Single(f => f.Issue == 2).Needs.ShouldBe([1]);
        result.Why[2].ShouldBe("needs #1: \"Expose the CSV export from #1\"");
        result.SessionId.ShouldBe(session);

        // Sonnet at $3 in / $15 out per million: the Read turn's default usage (1000 in, 100 out) plus the answer's.
        result.CostUsd.ShouldNotBeNull();
        result.CostUsd.Value.ShouldBe(((1000m + 2000m) * 3m + (100m + 300m) * 15m) / 1_000_000m, 0.000000001m);

        // The raw output is claude's stream: the file it read, then the result the footprints came from.
        var lines = File.ReadAllLines(result.RawOutputPath);
        lines.ShouldContain(l => l.Contains("\"name\":\"Read\"", StringComparison.Ordinal));
        using var last = JsonDocument.Parse(lines[^1]);
        last.RootElement.GetProperty("type").GetString().ShouldBe("result");
        last.RootElement.GetProperty("structured_output").GetProperty("footprints").GetArrayLength().ShouldBe(4);
        last.RootElement.GetProperty("permission_denials").GetArrayLength().ShouldBe(0);

        // The flight recorder reads it like a worker's log: the Read call, and the cost claude reported.
        await using (var store = await TelemetryStore.OpenAsync(repo.Temp.Combine("telemetry.db"), Ct).DefaultTimeout())
        {
            var report = await new TelemetryIngestor(store, TimeProvider.System).IngestAsync(result.RawOutputPath, new RunTags("plan-1", "shop", ArchitectRunner.RehearsalWorker, 1), Ct).DefaultTimeout();
            report.Files.Single().Format.ShouldBe("claude-stream-json");
            (await store.CountByKindAsync(Ct).DefaultTimeout())["tool_call"].ShouldBe(2); // Read and StructuredOutput
            var usage = await UsageReport.BuildAsync(store, UsageGrouping.Worker, null, null, PriceTable.Default, Ct).DefaultTimeout();
            usage.Rows.Single().Key.ShouldBe("shop/architect");
            usage.Rows.Single().CostUsd.ShouldBe(result.CostUsd.Value, 0.000000001m);
        }

        result.Argv.ShouldContain("--json-schema");
        result.Argv[result.Argv.ToList().IndexOf("--permission-mode") + 1].ShouldBe("plan");
        server.Requests.Where(r => r.Provider == RehearsalProvider.Claude).Select(r => r.Key).Distinct().ShouldBe(["rehearsal:shop:architect:1"]);
        server.ModelCalls(RehearsalKey.Create("shop", "architect", 1)).ShouldBe(2);
    }

    [Fact]
    public async Task An_answer_with_a_footprint_for_an_issue_not_in_scope_is_refused_naming_it()
    {
        var answer = ArchitectFixture.AnswerJson.Replace("\"issue\": 4", "\"issue\": 44", StringComparison.Ordinal);
        var (repo, server) = await StartAsync($$"""[ { "type": "structured_output", "value": {{answer}} } ]""");
        using var _ = repo;
        await using var __ = server;

        var request = Request(repo, server, Guid.NewGuid().ToString());
        var error = await Should.ThrowAsync<ArchitectException>(() => ArchitectRunner.RunAsync(request, Ct).SlowTimeout());

        error.Message.ShouldBe(
            "architect: the answer does not fit the issues in scope: footprints for issues not in scope: #44 (in scope: #1, #2, #3, #4); no footprint for issue #4"
            + $" (raw output: {request.RawOutputPath})");
        error.RawOutputPath.ShouldBe(request.RawOutputPath);
        File.Exists(request.RawOutputPath).ShouldBeTrue();
    }

    [Fact]
    public async Task A_model_call_that_fails_with_http_400_is_an_ArchitectException_carrying_the_api_error()
    {
        var (repo, server) = await StartAsync("""[ { "type": "fail", "status": 400, "message": "rehearsal: the architect request was refused" } ]""");
        using var _ = repo;
        await using var __ = server;

        var request = Request(repo, server, Guid.NewGuid().ToString());
        var error = await Should.ThrowAsync<ArchitectException>(() => ArchitectRunner.RunAsync(request, Ct).SlowTimeout());

        error.Message.ShouldStartWith("architect: claude failed (API status 400): API Error: 400");
        error.Message.ShouldContain("rehearsal: the architect request was refused");
        error.Message.ShouldEndWith($"(raw output: {request.RawOutputPath})");
    }

    [Fact]
    public async Task A_model_that_only_ever_answers_in_prose_is_an_error_quoting_its_last_words()
    {
        var (repo, server) = await StartAsync("""
            [ { "type": "text", "text": "Issue 1 touches the exporter." },
              { "type": "text", "text": "I would rather describe the plan in prose." } ]
            """);
        using var _ = repo;
        await using var __ = server;

        var error = await Should.ThrowAsync<ArchitectException>(() => ArchitectRunner.RunAsync(Request(repo, server, Guid.NewGuid().ToString()), Ct).SlowTimeout());

        error.Message.ShouldStartWith("architect: claude ended without structured output (the model never called StructuredOutput with a valid answer); its last words: I would rather describe the plan in prose.");
        server.ModelCalls(RehearsalKey.Create("shop", "architect", 1)).ShouldBe(2); // the answer, then claude's one reminder
    }

    [Fact]
    public async Task The_budget_is_passed_to_claude_and_going_over_it_is_an_error()
    {
        var (repo, server) = await StartAsync($$"""
            [ { "type": "tool_call", "name": "Read", "input": { "file_path": "{cwd}/README.md" }, "usage": { "input_tokens": 100000, "output_tokens": 1000 } },
              { "type": "structured_output", "value": {{ArchitectFixture.AnswerJson}} } ]
            """);
        using var _ = repo;
        await using var __ = server;

        var request = Request(repo, server, Guid.NewGuid().ToString()) with { MaxBudgetUsd = 0.01m };
        var error = await Should.ThrowAsync<ArchitectException>(() => ArchitectRunner.RunAsync(request, Ct).SlowTimeout());

        error.Message.ShouldStartWith("architect: claude failed (error_max_budget_usd): Reached maximum budget ($0.01)");
    }

    [Fact]
    public async Task Every_flag_the_architect_passes_exists_in_the_pinned_claude_help()
    {
        var help = await AgentCommandTests.HelpAsync("claude", "--help");
        var argv = ArchitectRunner.BuildArgv(new ArchitectRequest { RepositoryDirectory = ".", Issues = ArchitectFixture.Issues, RawOutputPath = "raw.log", Model = "opus", MaxBudgetUsd = 2m }, Guid.NewGuid().ToString());

        foreach (var flag in AgentCommandTests.Flags(argv))
        {
            help.ShouldContain(flag, customMessage: $"claude --help does not list {flag}");
        }

        argv.ShouldNotContain("--dangerously-skip-permissions");
        JsonDocument.Parse(argv[argv.ToList().IndexOf("--json-schema") + 1]).RootElement.GetProperty("required")[0].GetString().ShouldBe("footprints");
    }
}
