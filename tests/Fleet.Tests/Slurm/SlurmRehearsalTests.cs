using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Rehearsal;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;
using Fleet.Workers;

namespace Fleet.Tests.Slurm;

/// <summary>
/// The REAL claude and codex (under app-server) as slurm jobs: <c>fleet launch --rehearse</c> of a fleet with placement
/// slurm, the rehearsal endpoint bound to an address other than 127.0.0.1 (FLEET_REHEARSAL_LISTEN), a gate answered
/// with <c>fleet approve</c> and a <c>fleet say</c> that goes through the worker's shared steering folder.
/// </summary>
[Collection(SlurmCluster.Collection)]
public sealed class SlurmRehearsalTests
{
    private const string ClaudeScript = """
        { "rules": [ { "worker": "writer", "turns": [
            { "type": "shell", "command": "sleep 8" },
            { "type": "write_file", "path": "remote.txt", "content": "written on a node\n", "usage": { "input_tokens": 20000, "output_tokens": 2000 } },
            { "type": "text", "text": "Done." } ] } ] }
        """;

    [Fact]
    public async Task A_claude_worker_on_a_node_is_steered_through_the_shared_folder_its_gate_is_approved_and_its_exit_record_has_cost_and_session()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = await OnANodeAsync("slurm-claude", """
            "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default", "placement": "slurm" },
            "gates": { "allow": ["Bash(sleep *)"] },
            "workers": [ { "id": "writer", "type": "code-run", "task": "Write the file." } ]
            """, ClaudeScript);

        var gate = await SteerAndApproveAsync(run, "writer", "the root is shared; write it there");

        gate.Request.Tool.ShouldBe("Write");
        File.ReadAllText(Path.Combine(run.Root, "remote.txt")).ShouldBe("written on a node\n");
    }

    private const string CodexScript = """
        { "rules": [ { "worker": "migrator", "turns": [
            { "type": "shell", "command": "sleep 8" },
            { "type": "shell", "command": "echo applied --accept-data-loss > applied.txt", "usage": { "input_tokens": 20000, "output_tokens": 2000 } },
            { "type": "text", "text": "Migrated." } ] } ] }
        """;

    [Fact]
    public async Task A_codex_worker_on_a_node_is_steered_through_the_shared_folder_its_gate_is_approved_and_its_exit_record_has_cost_and_thread()
    {
        AgentCli.RequireOrSkip("codex");
        await using var run = await OnANodeAsync("slurm-codex", """
            "config": { "provider": "codex", "model": "gpt-5-codex", "placement": "slurm" },
            "workers": [ { "id": "migrator", "type": "code-run", "task": "Apply the migration." } ]
            """, CodexScript);

        var gate = await SteerAndApproveAsync(run, "migrator", "the root is shared; migrate it there");

        gate.Request.Summary.ShouldContain("--accept-data-loss");
        File.ReadAllText(Path.Combine(run.Root, "applied.txt")).ShouldBe("applied --accept-data-loss\n", "the approved command ran on the node");
    }

    /// <summary>A one-worker dag fleet on slurm (<paramref name="body"/>: its config and workers) with a rehearsal script, and its endpoint bound to 127.0.0.2.</summary>
    private static async Task<FleetRun> OnANodeAsync(string stem, string body, string script)
    {
        var conf = await SlurmCluster.RequireAsync();
        var name = $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";
        var run = new FleetRun($$"""{ "fleet_name": "{{name}}", "type": "dag", {{body}} }""");
        run.Environment["SLURM_CONF"] = conf;
        run.Environment[RehearsalOptions.ListenVariable] = "127.0.0.2";
        await File.WriteAllTextAsync(run.Layout.RehearsalFile, script, TestContext.Current.CancellationToken);
        return run;
    }

    /// <summary>
    /// Launches the run; while its worker's first command (<c>sleep 8</c>) runs, tells it <paramref name="message"/> with
    /// <c>fleet say</c>, approves the gate that opens next, and checks what every provider must do on a node: the message
    /// went through the shared steering folder and reached the model, the gate was a person's, the run succeeded, the
    /// claim names the node and job, the exit record has cost and session. Returns the gate.
    /// </summary>
    private static async Task<InboxGate> SteerAndApproveAsync(FleetRun run, string worker, string message)
    {
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        var dir = run.Layout.IterationDir(1);

        await WaitForAsync(() => File.Exists(Path.Combine(dir, $"{worker}.log")) && File.ReadAllText(Path.Combine(dir, $"{worker}.log")).Contains("sleep 8", StringComparison.Ordinal));
        var (said, sayConsole) = await run.FleetAsync("say", run.Root, worker, message);
        var gate = await OpenGateAsync(run);
        var (approved, answer) = await run.FleetAsync("approve", run.Root, gate.Id);
        await run.WaitForAsync(s => s.Ended is not null);

        said.ShouldBe(0, sayConsole.Stderr);
        Directory.Exists(SteerLink.MailboxDir(dir, worker)).ShouldBeTrue("fleet say went through the shared steering folder");
        Directory.GetFiles(SteerLink.MailboxDir(dir, worker)).ShouldBeEmpty();
        approved.ShouldBe(0, answer.Stderr);
        run.State.Ended!.Outcome.ShouldBe("success", run.Diagnostics());
        var claim = WorkerClaim.TryRead(dir, worker)!;
        claim.SlurmNode.ShouldNotBeNull();
        claim.SlurmJobId.ShouldBe(Fleet.Placement.SlurmJobRecord.TryRead(Fleet.Placement.SlurmJob.RecordPath(dir, worker))!.JobId);
        var exit = await WorkerExitRecord.TryReadAsync(dir, worker, TestContext.Current.CancellationToken);
        exit!.Outcome.ShouldBe(WorkerOutcome.Succeeded, exit.Error);
        exit.CostUsd.ShouldNotBeNull();
        exit.CostUsd!.Value.ShouldBeGreaterThan(0m);
        exit.SessionId.ShouldNotBeNullOrEmpty();
        run.State.Worker(worker, 1).CostUsd.ShouldBe(exit.CostUsd);
        OrchestratorInfo.TryRead(run.Layout)!.RehearsalUrl.ShouldStartWith("http://127.0.0.2:");
        var requests = await RehearsalRequestLog.ReadAsync(run.Layout, TestContext.Current.CancellationToken);
        requests.ShouldContain(r => r.Said != null && r.Said.Contains(message, StringComparison.Ordinal), "the message reached the model");
        Journal.Read(run.Layout.JournalFile).ShouldContain(e => e.Type == JournalTypes.WorkerSteered && e.Worker == worker);
        File.ReadAllLines(Path.Combine(dir, $"{worker}.gates.jsonl")).ShouldContain(l => l.Contains("\"decided_by\":\"person\"", StringComparison.Ordinal));
        return gate;
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

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("the condition never held");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
