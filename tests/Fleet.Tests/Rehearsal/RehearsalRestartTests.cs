using System.Text.Json;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Rehearsal;

/// <summary>
/// The rehearsal endpoint dies with the orchestrator while the REAL agent keeps its conversation: the restarted
/// endpoint must find its place from that conversation, so no scripted turn is played twice.
/// </summary>
public class RehearsalRestartTests
{
    private const string ThreeGates = """
        { "rules": [ { "worker": "marker", "turns": [
            { "type": "shell", "command": "echo first >> marks.txt" },
            { "type": "shell", "command": "echo second >> marks.txt" },
            { "type": "shell", "command": "echo third >> marks.txt" },
            { "type": "text", "text": "Marked three times." } ] } ] }
        """;

    [Fact]
    public async Task A_claude_worker_whose_orchestrator_is_killed_at_its_first_gate_runs_each_gated_command_exactly_once_after_resume()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun("""
            { "fleet_name": "restart", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default" },
              "workers": [ { "id": "marker", "type": "code-run", "task": "Mark three times." } ] }
            """);
        run.Dir.Write("fleet/rehearsal.json", ThreeGates);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);

        var first = await NextGateAsync(run, []);
        first.Request.Summary.ShouldBe("echo first >> marks.txt");
        var orchestrator = OrchestratorInfo.Running(run.Layout).ShouldNotBeNull();
        orchestrator.Identity.Signal(UnixSignal.SIGKILL);
        await run.WaitForAsync(_ => !orchestrator.Identity.IsAlive);
        var (resumed, resumeConsole) = await run.FleetAsync("resume", run.Root);
        resumed.ShouldBe(0, resumeConsole.Stderr);

        var asked = new List<string> { first.Id };
        (await run.FleetAsync("approve", run.Root, first.Id)).ExitCode.ShouldBe(0);
        var second = await NextGateAsync(run, asked);
        second.Request.Summary.ShouldBe("echo second >> marks.txt");
        asked.Add(second.Id);
        (await run.FleetAsync("approve", run.Root, second.Id)).ExitCode.ShouldBe(0);
        var third = await NextGateAsync(run, asked);
        third.Request.Summary.ShouldBe("echo third >> marks.txt");
        (await run.FleetAsync("approve", run.Root, third.Id)).ExitCode.ShouldBe(0);
        try
        {
            await run.WaitForAsync(s => s.Ended is not null);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + Describe(run), e);
        }

        run.State.Ended!.Outcome.ShouldBe("success", run.State.Ended.Reason);
        run.State.Worker("marker", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        File.ReadAllLines(Path.Combine(run.Root, "marks.txt")).ShouldBe(["first", "second", "third"]);
        var gates = File.ReadAllLines(Path.Combine(run.Root, "iterations", "1", "marker.gates.jsonl"))
            .Select(l => JsonSerializer.Deserialize(l, GateJsonContext.Default.GateRecord)!)
            .ToList();
        gates.Select(g => (g.Summary, g.Decision, g.DecidedBy)).ShouldBe([
            ("echo first >> marks.txt", "allow", "person"),
            ("echo second >> marks.txt", "allow", "person"),
            ("echo third >> marks.txt", "allow", "person")]);
        var log = await File.ReadAllTextAsync(Path.Combine(run.Root, "iterations", "1", "marker.log"), TestContext.Current.CancellationToken);
        log.ShouldContain("Marked three times.");
    }

    /// <summary>What a failure needs to show: the open gates, the marks, the worker's model calls.</summary>
    private static string Describe(FleetRun run)
    {
        var open = string.Join('\n', GateInbox.Open(run.Layout).Select(g => $"open gate {g.Id}: {g.Request.Tool} {g.Request.Summary}"));
        var marks = Path.Combine(run.Root, "marks.txt");
        var log = Path.Combine(run.Root, "iterations", "1", "marker.log");
        return $"{open}\nmarks: {(File.Exists(marks) ? File.ReadAllText(marks) : "none")}\nlog:\n{(File.Exists(log) ? File.ReadAllText(log) : "none")}";
    }

    /// <summary>The first open gate that is not one of <paramref name="seen"/>; fails fast when the run ends first.</summary>
    private static async Task<InboxGate> NextGateAsync(FleetRun run, IReadOnlyCollection<string> seen)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (GateInbox.Open(run.Layout).FirstOrDefault(g => !seen.Contains(g.Id)) is { } gate)
            {
                return gate;
            }

            if (run.State.Ended is { } ended)
            {
                throw new InvalidOperationException($"the run ended without another gate: {ended.Outcome}: {ended.Reason}");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("no new gate opened");
    }
}
