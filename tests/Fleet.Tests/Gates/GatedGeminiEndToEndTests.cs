using System.Text.Json;
using Fleet.Gates.Inbox;
using Fleet.Rehearsal;
using Fleet.State;
using Fleet.Tests.Gates.Inbox;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Gates;

/// <summary>
/// Whole rehearsed runs of a gemini worker under ACP (the real gemini 0.61.0) through the CLI, as a person drives them:
/// a destructive command waits in <c>fleet inbox</c> although <c>Bash(*)</c> allows every command, a safe one is
/// allowed by that rule, an edit runs under acceptEdits without asking, a denial's message and a person's
/// <c>fleet say</c> reach the model as the next prompt, and the gates show in <c>fleet telemetry gates</c>.
/// </summary>
public sealed class GatedGeminiEndToEndTests
{
    [Fact]
    public async Task A_gemini_workers_destructive_command_under_a_wildcard_allow_rule_waits_in_fleet_inbox_and_a_deny_message_reaches_gemini()
    {
        AgentCli.RequireOrSkip("gemini");
        await using var run = new FleetRun("""
            { "fleet_name": "gemini-gates", "type": "dag", "config": { "provider": "gemini", "model": "gemini-2.5-pro" },
              "gates": { "allow": ["Bash(*)"] },
              "workers": [ { "id": "w", "type": "code-run", "task": "Clean the build." } ] }
            """);
        run.Dir.Write("outside/keep.txt", "kept\n");
        run.Dir.Write("fleet/rehearsal.json", """
            { "rules": [
                { "worker": "w", "when_prompt_contains": "No deleting, please.", "turns": [ { "type": "shell", "command": "touch told.txt" }, { "type": "text", "text": "Understood." } ] },
                { "worker": "w", "turns": [
                    { "type": "shell", "command": "touch safe.txt" },
                    { "type": "shell", "command": "rm -rf ../outside" },
                    { "type": "text", "text": "Went on after the gate." } ] } ] }
            """);

        await InboxEndToEndTests.SucceedsAsync(run, "launch", run.Root, "--rehearse", "--no-tmux");
        var gate = await InboxEndToEndTests.WaitForOpenGateAsync(run);

        var inbox = await InboxEndToEndTests.SucceedsAsync(run, "inbox", run.Root);
        inbox.ShouldContain("rm -rf ../outside");
        inbox.ShouldNotContain("touch safe.txt");

        File.Exists(Path.Combine(run.Root, "safe.txt")).ShouldBeTrue("Bash(*) allowed the safe command before the gate");
        await InboxEndToEndTests.SucceedsAsync(run, "deny", run.Root, gate.Id, "--message", "No deleting, please.");

        await run.WaitForAsync(s => s.Ended is not null, TestTimeouts.Slow);
        run.State.Ended!.Outcome.ShouldBe("success", string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}")));
        File.Exists(run.Dir.Combine("outside/keep.txt")).ShouldBeTrue("the denied command did not run");
        File.Exists(Path.Combine(run.Root, "told.txt")).ShouldBeTrue("the denial's message was gemini's next prompt");
        var requests = await RehearsalRequestLog.ReadAsync(new FleetLayout(run.Root), TestContext.Current.CancellationToken);
        requests.ShouldContain(r => r.Said != null && r.Said.Contains("No deleting, please.", StringComparison.Ordinal));
        await InboxEndToEndTests.WaitForOrchestratorExitAsync(run);

        using var doc = JsonDocument.Parse(await InboxEndToEndTests.SucceedsAsync(run, "telemetry", "gates", "--json", "--run", run.State.RunId!));
        var w = doc.RootElement.GetProperty("workers").EnumerateArray().Single(x => x.GetProperty("worker").GetString() == "w");
        w.GetProperty("by_person").GetInt64().ShouldBe(1, doc.RootElement.ToString());
        w.GetProperty("by_rule").GetInt64().ShouldBe(2, "touch safe.txt, then touch told.txt: " + doc.RootElement);
    }

    [Fact]
    public async Task An_approved_destructive_command_runs_an_edit_runs_unasked_under_accept_edits_and_a_message_said_meanwhile_is_the_next_prompt()
    {
        AgentCli.RequireOrSkip("gemini");
        await using var run = new FleetRun("""
            { "fleet_name": "gemini-approve", "type": "dag", "config": { "provider": "gemini", "model": "gemini-2.5-pro" },
              "gates": { "allow": ["Bash(*)"] },
              "workers": [ { "id": "w", "type": "code-run", "task": "Clean the build." } ] }
            """);
        run.Dir.Write("outside/old.txt", "old\n");
        run.Dir.Write("fleet/rehearsal.json", """
            { "rules": [
                { "worker": "w", "when_prompt_contains": "Also write the docs.", "turns": [
                    { "type": "write_file", "path": "docs.md", "content": "# docs\n" }, { "type": "text", "text": "Docs written." } ] },
                { "worker": "w", "turns": [
                    { "type": "shell", "command": "rm -rf ../outside && echo gone > gone.txt" },
                    { "type": "write_file", "path": "notes.md", "content": "# notes\n" },
                    { "type": "text", "text": "Cleaned." } ] } ] }
            """);

        await InboxEndToEndTests.SucceedsAsync(run, "launch", run.Root, "--rehearse", "--no-tmux");
        var gate = await InboxEndToEndTests.WaitForOpenGateAsync(run);
        gate.Request.Summary.ShouldContain("rm -rf ../outside");

        await InboxEndToEndTests.SucceedsAsync(run, "say", run.Root, "w", "Also write the docs.");

        await InboxEndToEndTests.SucceedsAsync(run, "approve", run.Root, gate.Id);

        await run.WaitForAsync(s => s.Ended is not null, TestTimeouts.Slow);
        run.State.Ended!.Outcome.ShouldBe("success", string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}")));
        Directory.Exists(run.Dir.Combine("outside")).ShouldBeFalse("the approved command ran");
        File.ReadAllText(Path.Combine(run.Root, "gone.txt")).ShouldBe("gone\n");
        File.ReadAllText(Path.Combine(run.Root, "notes.md")).ShouldBe("# notes\n");
        File.ReadAllText(Path.Combine(run.Root, "docs.md")).ShouldBe("# docs\n", "the message said during the gate was the next prompt");
        GateInbox.Open(run.Layout).ShouldBeEmpty("the edits ran under acceptEdits without a gate");
        var gateLog = File.ReadAllLines(Path.Combine(run.Root, "iterations", "1", "w.gates.jsonl"));
        gateLog.Count(l => l.Contains("\"permission_mode acceptEdits\"", StringComparison.Ordinal)).ShouldBe(2, string.Join('\n', gateLog));
        await InboxEndToEndTests.WaitForOrchestratorExitAsync(run);
    }

    [Fact]
    public async Task Say_now_cancels_the_running_gemini_prompt_and_the_message_is_the_next_one()
    {
        AgentCli.RequireOrSkip("gemini");
        await using var run = new FleetRun("""
            { "fleet_name": "gemini-now", "type": "dag", "config": { "provider": "gemini", "model": "gemini-2.5-pro" },
              "gates": { "allow": ["Bash(sleep:*)", "Bash(touch:*)"] },
              "workers": [ { "id": "w", "type": "code-run", "task": "Wait." } ] }
            """);
        run.Dir.Write("fleet/rehearsal.json", """
            { "rules": [
                { "worker": "w", "when_prompt_contains": "Stop waiting.", "turns": [
                    { "type": "write_file", "path": "stopped.md", "content": "stopped\n" }, { "type": "text", "text": "Stopped." } ] },
                { "worker": "w", "turns": [
                    { "type": "shell", "command": "sleep 60 && touch slept.txt" },
                    { "type": "text", "text": "Slept." } ] } ] }
            """);

        await InboxEndToEndTests.SucceedsAsync(run, "launch", run.Root, "--rehearse", "--no-tmux");
        var gates = Path.Combine(run.Root, "iterations", "1", "w.gates.jsonl");
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (!(File.Exists(gates) && File.ReadAllText(gates).Contains("sleep 60", StringComparison.Ordinal)))
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, "the sleep command was never allowed");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await InboxEndToEndTests.SucceedsAsync(run, "say", run.Root, "w", "--now", "Stop waiting.");

        await run.WaitForAsync(s => s.Ended is not null, TestTimeouts.Slow);
        run.State.Ended!.Outcome.ShouldBe("success", string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}")));
        File.ReadAllText(Path.Combine(run.Root, "stopped.md")).ShouldBe("stopped\n");
        File.Exists(Path.Combine(run.Root, "slept.txt")).ShouldBeFalse("the cancelled prompt's command was stopped");
        await InboxEndToEndTests.WaitForOrchestratorExitAsync(run);
    }
}
