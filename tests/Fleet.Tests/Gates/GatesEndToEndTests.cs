using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Gates;

/// <summary>
/// A gate through the whole product: the REAL claude under the default permission mode asks to write a file,
/// the person sees it in fleet inbox, the orchestrator dies meanwhile, fleet resume brings it back, fleet approve
/// answers, and the waiting worker goes on and finishes the run.
/// </summary>
public class GatesEndToEndTests
{
    [Fact]
    public async Task A_permission_request_waits_in_the_inbox_survives_an_orchestrator_crash_and_goes_through_on_approve()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun("""
            { "fleet_name": "gated", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default" },
              "workers": [ { "id": "writer", "type": "code-run", "task": "Write the file." } ] }
            """);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);

        var gate = await OpenGateAsync(run);
        gate.Request.Tool.ShouldBe("Write");
        var (_, inbox) = await run.FleetAsync("inbox", run.Root);
        inbox.Stdout.ShouldContain($"writer wants Write");
        inbox.Stdout.ShouldContain($"fleet approve {run.Root} {gate.Id}");

        // The orchestrator dies while the worker waits: the gate stays open and answerable.
        var orchestrator = OrchestratorInfo.Running(run.Layout).ShouldNotBeNull();
        orchestrator.Identity.Signal(UnixSignal.SIGKILL);
        await run.WaitForAsync(_ => !orchestrator.Identity.IsAlive);
        GateInbox.Open(run.Layout).Select(g => g.Id).ShouldBe([gate.Id]);
        (await run.FleetAsync("resume", run.Root)).ExitCode.ShouldBe(0);

        var (approved, answer) = await run.FleetAsync("approve", run.Root, gate.Id);
        var (again, second) = await run.FleetAsync("deny", run.Root, gate.Id, "--message", "too late");
        await run.WaitForAsync(s => s.Ended is not null);

        approved.ShouldBe(0, answer.Stderr);
        // Refused either way: "already answered" if the shim has not applied the first answer yet, "closed" once it has.
        again.ShouldBe(2);
        second.Stderr.ShouldContain("nothing changed");
        second.Stderr.ShouldContain(gate.Id);
        run.State.Ended!.Outcome.ShouldBe("success");
        run.State.Worker("writer", 1).Status.ShouldBe(WorkerStatus.Succeeded);
        var written = Directory.GetFiles(run.Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/iterations/", StringComparison.Ordinal) && !f.Contains("/.fleet", StringComparison.Ordinal) && !f.EndsWith("fleet.json", StringComparison.Ordinal))
            .ToList();
        written.ShouldNotBeEmpty("the approved Write did not happen");
        var gates = File.ReadAllLines(Path.Combine(run.Root, "iterations", "1", "writer.gates.jsonl"));
        gates.Length.ShouldBe(1);
        gates[0].ShouldContain("\"decided_by\":\"person\"");
    }

    private static async Task<InboxGate> OpenGateAsync(FleetRun run)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (GateInbox.Open(run.Layout) is [var gate, ..])
            {
                return gate;
            }

            if (run.State.Ended is { } ended)
            {
                throw new InvalidOperationException($"the run ended without a gate: {ended.Outcome}: {ended.Reason}");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("no gate opened");
    }
}
