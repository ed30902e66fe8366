using System.Text.Json;
using Fleet.Gates;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Gates;

/// <summary>
/// The REAL claude under its default fleet mode, <c>acceptEdits</c>, which runs filesystem commands such as <c>rm -rf build</c>
/// inside its working directory without a permission request: the fleet's deny and destructive rules still reach the shim,
/// because fleet passes them to claude as <c>ask</c> rules.
/// </summary>
public sealed class AcceptEditsAskRulesTests
{
    private const string Script = """
        { "rules": [ { "worker": "cleaner", "turns": [
            { "type": "shell", "command": "rm -rf build" },
            { "type": "shell", "command": "rm -r cache" },
            { "type": "text", "text": "Cleaned." } ] } ] }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Under_accept_edits_a_destructive_rule_still_asks_a_person_and_a_deny_rule_still_denies_inside_the_working_directory()
    {
        AgentCli.RequireOrSkip("claude");
        using var root = new TempDir("fleet-accept-edits-");
        Directory.CreateDirectory(root.Combine("build"));
        Directory.CreateDirectory(root.Combine("cache"));
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Script = RehearsalScript.Parse(Script) }, Ct).DefaultTimeout();
        var fleetJson = """
            { "fleet_name": "ask", "type": "dag", "config": { "provider": "claude", "model": "claude-sonnet-4-5" },
              "gates": { "destructive": ["Bash(rm -rf:*)"], "deny": ["Bash(rm -r cache)"] },
              "workers": [ { "id": "cleaner", "type": "code-run", "task": "Clean up." } ] }
            """;
        var fleet = FleetValidator.Validate(fleetJson, "fleet.json", root.Path).Fleet.ShouldNotBeNull();
        fleet.Worker("cleaner").PermissionMode.ShouldBe(Fleet.Spec.PermissionMode.AcceptEdits);
        var spec = await WorkerPreparation.PrepareAsync(fleet, "cleaner", 1, new WorkerRunOptions(server.BaseUrl, ToolSearchDirs: [RepoPaths.Root]), null, Ct);
        var iterationDir = root.Combine("iterations", "1");
        using var view = new StringWriter();
        var run = WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, TextWriter.Synchronized(view)), Ct);

        var request = await WaitForRequestAsync(iterationDir, run);
        request.Summary.ShouldBe("rm -rf build");
        request.Reason.ShouldContain("destructive operation (Bash(rm -rf:*))");
        await using (var file = new FileStream(GatePaths.Answer(iterationDir, request.Id), FileMode.CreateNew, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(file, new GateAnswer("deny", "Keep the build.", false, null, "tester", DateTimeOffset.UtcNow), GateJsonContext.Default.GateAnswer, Ct);
        }

        var record = await run.SlowTimeout();
        TestContext.Current.TestOutputHelper?.WriteLine(view.ToString());

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        Directory.Exists(root.Combine("build")).ShouldBeTrue("claude ran rm -rf build without asking");
        Directory.Exists(root.Combine("cache")).ShouldBeTrue("claude ran rm -r cache although a deny rule names it");
        var gates = File.ReadAllLines(GatePaths.Log(iterationDir, "cleaner")).Select(l => JsonSerializer.Deserialize(l, GateJsonContext.Default.GateRecord)!).ToList();
        gates.Select(g => (g.Summary, g.Decision, g.DecidedBy)).ShouldBe([("rm -rf build", "deny", "person"), ("rm -r cache", "deny", "rule")]);
    }

    private static async Task<GateRequest> WaitForRequestAsync(string iterationDir, Task worker)
    {
        var dir = GatePaths.Dir(iterationDir);
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(dir) && Directory.GetFiles(dir, "*.request.json") is [var file, ..])
            {
                return JsonSerializer.Deserialize(await File.ReadAllTextAsync(file, Ct), GateJsonContext.Default.GateRequest)!;
            }

            if (worker.IsCompleted)
            {
                throw new InvalidOperationException("the worker ended without a gate request: claude ran rm -rf build without asking");
            }

            await Task.Delay(50, Ct);
        }

        throw new TimeoutException($"no gate request in {dir}: claude ran rm -rf build without asking");
    }
}
