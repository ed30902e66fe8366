using System.Text.Json;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;

namespace Fleet.Tests.Gates.Inbox;

/// <summary>
/// A whole run with a worker that asks a person, as the shim does for a waiting claude: it writes a request,
/// waits for the answer file, closes the gate and logs it. No claude needed; everything else is real.
/// </summary>
public sealed class InboxEndToEndTests
{
    // $0 root, $1 iteration, $2 worker. One gate a rule decided (logged only), one a person must answer.
    private const string Asker = """
        d="$0/iterations/$1/gates"; id="$2-$1-1"; mkdir -p "$d"
        now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        printf '{"id":"%s-%s-0","worker":"%s","iteration":%s,"kind":"permission","tool":"Bash","summary":"ls","decision":"allow","decided_by":"rule","rule":"Bash(ls)","asked_at":"%s","decided_at":"%s","waited_ms":0}\n' "$2" "$1" "$2" "$1" "$now" "$now" >> "$0/iterations/$1/$2.gates.jsonl"
        printf '{"id":"%s","worker":"%s","iteration":%s,"kind":"permission","tool":"Bash","summary":"npm test","input":{"command":"npm test"},"reason":"no rule matched","asked_at":"%s"}' "$id" "$2" "$1" "$now" > "$d/.$id.tmp"
        mv "$d/.$id.tmp" "$d/$id.request.json"
        while ! grep -q '"decision"' "$d/$id.answer.json" 2>/dev/null; do sleep 0.1; done
        dec=$(sed -n 's/.*"decision": *"\([a-z]*\)".*/\1/p' "$d/$id.answer.json")
        end=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        line=$(printf '{"id":"%s","worker":"%s","iteration":%s,"kind":"permission","tool":"Bash","summary":"npm test","decision":"%s","decided_by":"person","asked_at":"%s","decided_at":"%s","waited_ms":1500}' "$id" "$2" "$1" "$dec" "$now" "$end")
        printf '%s\n' "$line" > "$d/$id.closed.json"
        printf '%s\n' "$line" >> "$0/iterations/$1/$2.gates.jsonl"
        [ "$dec" = allow ]
        """;

    [Fact]
    public async Task A_waiting_worker_shows_in_status_and_the_follower_and_goes_on_once_a_person_approves()
    {
        await using var run = new FleetRun($$"""
            { "fleet_name": "asks", "type": "dag", "config": { "provider": "command" }, "workers": [
              { "id": "asker", "type": "code-run", "command": {{FleetRun.Sh(Asker)}} },
              { "id": "after", "type": "code-run", "command": {{FleetRun.Sh(FleetRun.RecordStart)}}, "depends_on": ["asker"] } ] }
            """);

        var launch = run.FleetAsync("launch", run.Root, "--wait", "--no-tmux");
        var gate = await WaitForOpenGateAsync(run);
        gate.Id.ShouldBe("asker-1-1");

        var (statusCode, status) = await run.FleetAsync("status", run.Root);
        using (status)
        {
            statusCode.ShouldBe(0, status.Stderr);
            status.Stdout.ShouldContain($"needs you: asker wants Bash: npm test (waiting ");
            status.Stdout.ShouldContain($"— fleet approve {run.Root} asker-1-1 | fleet deny {run.Root} asker-1-1");
        }

        run.Starts.ShouldBeEmpty(); // the dependent waits with the asker: nothing killed it, nothing went on without it

        // The follower looks every 200 ms: give it a few looks at the open gate before a person answers.
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var (approveCode, approve) = await run.FleetAsync("approve", run.Root, "asker-1-1");
        using (approve)
        {
            approveCode.ShouldBe(0, approve.Stderr);
        }

        var (code, follower) = await launch;
        using (follower)
        {
            code.ShouldBe(0, follower.Stdout + follower.Stderr);
            follower.Stderr.ShouldContain("needs you: asker wants Bash: npm test (waiting ");
        }

        var (againCode, again) = await run.FleetAsync("approve", run.Root, "asker-1-1");
        using (again)
        {
            againCode.ShouldBe(2);
            again.Stderr.ShouldContain("gate asker-1-1 is closed (allow by a person");
        }

        run.Starts.ShouldBe(["after 1"]);
        GateInbox.Open(run.Layout).ShouldBeEmpty();

        // The orchestrator recorded the gates in the flight recorder as the worker ended and as it stopped.
        await WaitForOrchestratorExitAsync(run);
        var (gatesCode, gates) = await run.FleetAsync("telemetry", "gates", "--json", "--run", run.State.RunId!);
        using (gates)
        {
            gatesCode.ShouldBe(0, gates.Stderr);
            using var doc = JsonDocument.Parse(gates.Stdout);
            var asker = doc.RootElement.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("worker").GetString() == "asker");
            asker.GetProperty("gates").GetInt64().ShouldBe(2);
            asker.GetProperty("by_person").GetInt64().ShouldBe(1);
            asker.GetProperty("by_rule").GetInt64().ShouldBe(1);
            asker.GetProperty("fleet").GetString().ShouldBe("asks");
        }
    }

    /// <summary>Runs a fleet command of <paramref name="run"/>, which must exit 0 (its output in the failure), and returns its stdout.</summary>
    internal static async Task<string> SucceedsAsync(FleetRun run, params string[] args)
    {
        var (code, console) = await run.FleetAsync(args).SlowTimeout();
        using (console)
        {
            code.ShouldBe(0, $"fleet {string.Join(' ', args)}: {console.Stdout}{console.Stderr}");
            return console.Stdout;
        }
    }

    internal static async Task<InboxGate> WaitForOpenGateAsync(FleetRun run)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Slow;
        while (true)
        {
            if (GateInbox.Open(run.Layout) is [var gate, ..])
            {
                return gate;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"no gate opened; journal:\n{string.Join('\n', run.Journal.Select(e => $"{e.Type} {e.Worker} {e.Outcome} {e.Reason}"))}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    internal static async Task WaitForOrchestratorExitAsync(FleetRun run)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
        while (OrchestratorInfo.Running(run.Layout) is not null || FleetLock.IsHeld(run.Layout))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("the orchestrator did not stop after the run ended");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
