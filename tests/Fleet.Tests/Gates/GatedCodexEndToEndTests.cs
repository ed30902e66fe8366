using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.State;
using Fleet.Tests.Gates.Inbox;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Gates;

/// <summary>
/// A whole rehearsed run of a codex worker under app-server through the CLI, as a person drives it: the destructive
/// command waits in <c>fleet inbox</c> although <c>Bash(*)</c> allows everything, <c>fleet deny --message</c> reaches
/// the model (the endpoint's request log records it in the request after the denied call), and the gates show in
/// <c>fleet telemetry gates</c> and <c>fleet retro</c>.
/// </summary>
public sealed class GatedCodexEndToEndTests
{
    [Fact]
    public async Task A_codex_workers_destructive_command_waits_in_fleet_inbox_a_deny_message_reaches_codex_and_the_gates_show_in_telemetry_and_retro()
    {
        AgentCli.RequireOrSkip("codex");
        await using var run = new FleetRun("""
            { "fleet_name": "codex-gates", "type": "dag", "config": { "provider": "codex", "model": "gpt-5-codex" },
              "gates": { "allow": ["Bash(*)"] },
              "workers": [ { "id": "w", "type": "code-run", "task": "Push the schema." } ] }
            """);
        run.Dir.Write("fleet/rehearsal.json", """
            { "rules": [
                { "worker": "w", "turns": [
                    { "type": "shell", "command": "touch safe.txt" },
                    { "type": "shell", "command": "prisma db push --accept-data-loss" },
                    { "type": "text", "text": "Went on after the gate." } ] } ] }
            """);

        await InboxEndToEndTests.SucceedsAsync(run, "launch", run.Root, "--rehearse", "--no-tmux");
        var gate = await InboxEndToEndTests.WaitForOpenGateAsync(run);

        var inbox = await InboxEndToEndTests.SucceedsAsync(run, "inbox", run.Root);
        inbox.ShouldContain("prisma db push --accept-data-loss");
        inbox.ShouldNotContain("touch safe.txt");

        await InboxEndToEndTests.SucceedsAsync(run, "deny", run.Root, gate.Id, "--message", "No data loss, please.");

        await run.WaitForAsync(s => s.Ended is not null, TestTimeouts.Slow);
        run.State.Ended!.Outcome.ShouldBe("success", string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}")));
        File.ReadAllText(Path.Combine(run.Root, "iterations", "1", "w.log")).ShouldContain("Went on after the gate.");
        var requests = await RehearsalRequestLog.ReadAsync(new FleetLayout(run.Root), TestContext.Current.CancellationToken);
        requests.Single(r => r.Said?.Contains("No data loss, please.", StringComparison.Ordinal) == true).Position.ShouldBe(2, "the request after the denied call");
        File.Exists(Path.Combine(run.Root, "safe.txt")).ShouldBeTrue();
        await InboxEndToEndTests.WaitForOrchestratorExitAsync(run);

        using var doc = JsonDocument.Parse(await InboxEndToEndTests.SucceedsAsync(run, "telemetry", "gates", "--json", "--run", run.State.RunId!));
        var w = doc.RootElement.GetProperty("workers").EnumerateArray().Single(x => x.GetProperty("worker").GetString() == "w");
        w.GetProperty("gates").GetInt64().ShouldBe(2);
        w.GetProperty("by_person").GetInt64().ShouldBe(1);
        w.GetProperty("by_rule").GetInt64().ShouldBe(1);

        (await InboxEndToEndTests.SucceedsAsync(run, "retro", run.Root)).ShouldContain("prisma db push --accept-data-loss");
    }
}
