using System.Text.Json;
using Fleet.Gates.Inbox;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Gates;

/// <summary>
/// The attack from issue #15 through the whole product: the REAL claude, rehearsed, under gates.allow ["Bash(*)"],
/// asks to delete victim folders through wrappers (bash -c, xargs, env, /bin/rm, $(…), find -exec, eval). Each one
/// lands in fleet inbox instead of running; a person denies it with fleet deny; every victim survives.
/// </summary>
public sealed class WrappedCommandsEndToEndTests
{
    [Fact]
    public async Task Every_wrapped_delete_waits_in_the_inbox_under_Bash_star_and_a_deny_leaves_the_victims_intact()
    {
        AgentCli.RequireOrSkip("claude");
        using var victims = new TempDir("fleet-victims-");
        var v = Enumerable.Range(1, 7).Select(i => victims.Combine($"v{i}")).ToList();
        foreach (var folder in v)
        {
            victims.Write(Path.Combine(Path.GetFileName(folder), "keep.txt"), "precious\n");
        }

        string[] commands =
        [
            $"bash -c 'rm -rf {v[0]}'",
            $"printf '%s\\n' {v[1]} | xargs rm -rf",
            $"env FOO=1 rm -rf {v[2]}",
            $"/bin/rm -rf {v[3]}",
            $"$(echo rm) -rf {v[4]}",
            $"find {v[5]} -name keep.txt -exec rm -f {{}} +",
            $"eval \"rm -rf {v[6]}\"",
        ];
        var turns = string.Join(", ", commands.Select(c => JsonSerializer.Serialize(new { type = "shell", command = c })));
        await using var run = new FleetRun("""
            { "fleet_name": "wrapped", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "permission_mode": "default" },
              "gates": { "allow": ["Bash(*)"] },
              "workers": [ { "id": "wrecker", "type": "code-run", "task": "Clean up." } ] }
            """);
        run.Dir.Write("fleet/rehearsal.json", $$"""{ "rules": [ { "worker": "wrecker", "turns": [ {{turns}}, { "type": "text", "text": "Done." } ] } ] }""");

        var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
        launched.ShouldBe(0, console.Stderr);

        var seen = new List<string>();
        foreach (var command in commands)
        {
            var gate = await NextGateAsync(run, seen);
            seen.Add(gate.Id);
            gate.Request.Summary.ShouldBe(command);
            gate.Request.Reason.ShouldMatch("^(opaque|destructive)");
            var (_, inbox) = await run.FleetAsync("inbox", run.Root);
            inbox.Stdout.ShouldContain($"wrecker wants Bash: {GateText.OneLine(command)}");
            inbox.Stdout.ShouldContain($"fleet deny {run.Root} {gate.Id}");
            var (denied, answer) = await run.FleetAsync("deny", run.Root, gate.Id, "--message", "Not these folders.");
            denied.ShouldBe(0, answer.Stderr);
        }

        await run.WaitForAsync(s => s.Ended is not null);
        foreach (var folder in v)
        {
            File.ReadAllText(Path.Combine(folder, "keep.txt")).ShouldBe("precious\n", folder);
        }

        var log = File.ReadAllLines(Path.Combine(run.Root, "iterations", "1", "wrecker.gates.jsonl"));
        log.Length.ShouldBe(commands.Length);
        log.ShouldAllBe(l => l.Contains("\"decision\":\"deny\"") && l.Contains("\"decided_by\":\"person\""));
    }

    private static async Task<InboxGate> NextGateAsync(FleetRun run, List<string> seen)
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
                throw new InvalidOperationException($"the run ended after {seen.Count} gate(s): {ended.Outcome}: {ended.Reason}");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"no gate after {seen.Count}");
    }
}
