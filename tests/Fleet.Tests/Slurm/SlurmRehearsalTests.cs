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
/// The REAL claude as a slurm job: <c>fleet launch --rehearse</c> of a claude fleet with placement slurm, the rehearsal
/// endpoint bound to an address other than 127.0.0.1 (FLEET_REHEARSAL_LISTEN), a gate answered with
/// <c>fleet approve</c> and a <c>fleet say</c> that goes through the worker's shared steering folder.
/// </summary>
[Collection(SlurmCluster.Collection)]
public sealed class SlurmRehearsalTests
{
    private const string Script = """
        { "rules": [ { "worker": "writer", "turns": [
            { "type": "shell", "command": "sleep 8" },
            { "type": "write_file", "path": "remote.txt", "content": "written on a node\n", "usage": { "input_tokens": 20000, "output_tokens": 2000 } },
            { "type": "text", "text": "Done." } ] } ] }
        """;

    [Fact]
    public async Task A_claude_worker_on_a_node_is_steered_through_the_shared_folder_its_gate_is_approved_and_its_exit_record_has_cost_and_session()
    {
        AgentCli.RequireOrSkip("claude");
        var conf = await SlurmCluster.RequireAsync();
        var name = $"slurm-claude-{Guid.NewGuid().ToString("N")[..8]}";
        await using var run = new FleetRun($$"""
            { "fleet_name": "{{name}}", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default", "placement": "slurm" },
              "gates": { "allow": ["Bash(sleep *)"] },
              "workers": [ { "id": "writer", "type": "code-run", "task": "Write the file." } ] }
            """);
        run.Environment["SLURM_CONF"] = conf;
        run.Environment[RehearsalOptions.ListenVariable] = "127.0.0.2";
        await File.WriteAllTextAsync(run.Layout.RehearsalFile, Script, TestContext.Current.CancellationToken);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        var dir = run.Layout.IterationDir(1);

        await WaitForAsync(() => File.Exists(Path.Combine(dir, "writer.log")) && File.ReadAllText(Path.Combine(dir, "writer.log")).Contains("sleep 8", StringComparison.Ordinal));
        var (said, sayConsole) = await run.FleetAsync("say", run.Root, "writer", "the root is shared; write it there");
        var gate = await OpenGateAsync(run);
        var (approved, answer) = await run.FleetAsync("approve", run.Root, gate.Id);
        await run.WaitForAsync(s => s.Ended is not null);

        said.ShouldBe(0, sayConsole.Stderr);
        Directory.Exists(SteerLink.MailboxDir(dir, "writer")).ShouldBeTrue("fleet say went through the shared steering folder");
        Directory.GetFiles(SteerLink.MailboxDir(dir, "writer")).ShouldBeEmpty();
        gate.Request.Tool.ShouldBe("Write");
        approved.ShouldBe(0, answer.Stderr);
        run.State.Ended!.Outcome.ShouldBe("success", run.State.Ended.Reason);
        var claim = WorkerClaim.TryRead(dir, "writer")!;
        claim.SlurmNode.ShouldNotBeNull();
        claim.SlurmJobId.ShouldBe(Fleet.Placement.SlurmJobRecord.TryRead(Fleet.Placement.SlurmJob.RecordPath(dir, "writer"))!.JobId);
        var exit = await WorkerExitRecord.TryReadAsync(dir, "writer", TestContext.Current.CancellationToken);
        exit!.Outcome.ShouldBe(WorkerOutcome.Succeeded, exit.Error);
        exit.CostUsd.ShouldNotBeNull();
        exit.CostUsd!.Value.ShouldBeGreaterThan(0m);
        exit.SessionId.ShouldNotBeNullOrEmpty();
        run.State.Worker("writer", 1).CostUsd.ShouldBe(exit.CostUsd);
        File.ReadAllText(Path.Combine(run.Root, "remote.txt")).ShouldBe("written on a node\n");
        OrchestratorInfo.TryRead(run.Layout)!.RehearsalUrl.ShouldStartWith("http://127.0.0.2:");
        var requests = await RehearsalRequestLog.ReadAsync(run.Layout, TestContext.Current.CancellationToken);
        requests.ShouldContain(r => r.Said != null && r.Said.Contains("the root is shared; write it there", StringComparison.Ordinal), "the message reached the model");
        Journal.Read(run.Layout.JournalFile).ShouldContain(e => e.Type == JournalTypes.WorkerSteered && e.Worker == "writer");
        File.ReadAllLines(Path.Combine(dir, "writer.gates.jsonl")).ShouldContain(l => l.Contains("\"decided_by\":\"person\"", StringComparison.Ordinal));
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
        var conf = await SlurmCluster.RequireAsync();
        var name = $"slurm-codex-{Guid.NewGuid().ToString("N")[..8]}";
        await using var run = new FleetRun($$"""
            { "fleet_name": "{{name}}", "type": "dag",
              "config": { "provider": "codex", "model": "gpt-5-codex", "placement": "slurm" },
              "workers": [ { "id": "migrator", "type": "code-run", "task": "Apply the migration." } ] }
            """);
        run.Environment["SLURM_CONF"] = conf;
        run.Environment[RehearsalOptions.ListenVariable] = "127.0.0.2";
        await File.WriteAllTextAsync(run.Layout.RehearsalFile, CodexScript, TestContext.Current.CancellationToken);
        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);
        var dir = run.Layout.IterationDir(1);

        await WaitForAsync(() => File.Exists(Path.Combine(dir, "migrator.log")) && File.ReadAllText(Path.Combine(dir, "migrator.log")).Contains("sleep 8", StringComparison.Ordinal));
        var (said, sayConsole) = await run.FleetAsync("say", run.Root, "migrator", "the root is shared; migrate it there");
        var gate = await OpenGateAsync(run);
        var (approved, answer) = await run.FleetAsync("approve", run.Root, gate.Id);
        await run.WaitForAsync(s => s.Ended is not null);

        said.ShouldBe(0, sayConsole.Stderr);
        Directory.Exists(SteerLink.MailboxDir(dir, "migrator")).ShouldBeTrue("fleet say went through the shared steering folder");
        Directory.GetFiles(SteerLink.MailboxDir(dir, "migrator")).ShouldBeEmpty();
        gate.Request.Summary.ShouldContain("--accept-data-loss");
        approved.ShouldBe(0, answer.Stderr);
        run.State.Ended!.Outcome.ShouldBe("success", run.Diagnostics());
        var claim = WorkerClaim.TryRead(dir, "migrator")!;
        claim.SlurmNode.ShouldNotBeNull();
        claim.SlurmJobId.ShouldBe(Fleet.Placement.SlurmJobRecord.TryRead(Fleet.Placement.SlurmJob.RecordPath(dir, "migrator"))!.JobId);
        var exit = await WorkerExitRecord.TryReadAsync(dir, "migrator", TestContext.Current.CancellationToken);
        exit!.Outcome.ShouldBe(WorkerOutcome.Succeeded, exit.Error);
        exit.CostUsd.ShouldNotBeNull();
        exit.CostUsd!.Value.ShouldBeGreaterThan(0m);
        exit.SessionId.ShouldNotBeNullOrEmpty("the thread id from app-server");
        run.State.Worker("migrator", 1).CostUsd.ShouldBe(exit.CostUsd);
        File.ReadAllText(Path.Combine(run.Root, "applied.txt")).ShouldBe("applied --accept-data-loss\n", "the approved command ran on the node");
        OrchestratorInfo.TryRead(run.Layout)!.RehearsalUrl.ShouldStartWith("http://127.0.0.2:");
        var requests = await RehearsalRequestLog.ReadAsync(run.Layout, TestContext.Current.CancellationToken);
        requests.ShouldContain(r => r.Said != null && r.Said.Contains("the root is shared; migrate it there", StringComparison.Ordinal), "the message reached the model");
        Journal.Read(run.Layout.JournalFile).ShouldContain(e => e.Type == JournalTypes.WorkerSteered && e.Worker == "migrator");
        File.ReadAllLines(Path.Combine(dir, "migrator.gates.jsonl")).ShouldContain(l => l.Contains("\"decided_by\":\"person\"", StringComparison.Ordinal));
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
