using System.Text.Json;
using Fleet.Placement;
using Fleet.Tests.Orchestration;
using Fleet.Tests.Rehearsal;
using Fleet.Workers;

namespace Fleet.Tests.Slurm;

/// <summary>
/// The same fleet of REAL claude and codex workers (the default rehearsal script, as the local end-to-end tests play
/// it) run twice at once: with placement slurm across the loopback cluster's nodes and with placement local. Both
/// runs must end the same way: each worker's outcome, each iteration's verdict and the files the agents wrote.
/// </summary>
[Collection(SlurmCluster.Collection)]
public sealed class SlurmLocalComparisonTests
{
    [Fact]
    public async Task A_dag_fleet_of_claude_and_codex_workers_spread_over_the_nodes_ends_with_the_same_outcomes_and_files_as_run_locally()
    {
        // Two workers pinned to two different nodes (a worker's own slurm section), so the spread never depends on
        // how Slurm packs jobs; the dependent goes wherever Slurm puts it.
        await using var runs = await RunBothAsync("cmp-dag", iterations: 1, (name, slurm, nodes) => $$"""
            { "fleet_name": "{{name}}", "type": "dag",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "max_concurrent": 3, "placement": "{{(slurm ? "slurm" : "local")}}" },
              "workers": [
                { "id": "schema", "type": "code-run", "task": "Write the schema."{{Pin(slurm, nodes[0])}} },
                { "id": "parser", "type": "code-run", "task": "Write the parser.", "provider": "codex", "model": "gpt-5-codex"{{Pin(slurm, nodes[1])}} },
                { "id": "docs", "type": "code-run", "task": "Document the schema.", "provider": "codex", "model": "gpt-5-codex", "depends_on": ["schema"] } ] }
            """);

        Outcomes(runs.Remote).Keys.ShouldBe(["docs 1", "parser 1", "schema 1"]);
        Tree(runs.Remote.Root).Keys.ShouldBe(["rehearsal/docs.iteration-1.txt", "rehearsal/parser.iteration-1.txt", "rehearsal/schema.iteration-1.txt"]);
        WorkerClaim.TryRead(runs.Remote.Layout.IterationDir(1), "schema")!.SlurmNode.ShouldBe(runs.Nodes[0]);
        WorkerClaim.TryRead(runs.Remote.Layout.IterationDir(1), "parser")!.SlurmNode.ShouldBe(runs.Nodes[1]);
    }

    [Fact]
    public async Task An_iterative_fleet_of_a_codex_builder_and_a_claude_reviewer_on_the_nodes_has_the_same_verdicts_outcomes_and_files_as_run_locally()
    {
        await using var runs = await RunBothAsync("cmp-iter", iterations: 2, (name, slurm, nodes) => $$"""
            { "fleet_name": "{{name}}", "type": "iterative",
              "config": { "provider": "claude", "model": "claude-sonnet-4-5", "max_concurrent": 2, "placement": "{{(slurm ? "slurm" : "local")}}" },
              "workers": [
                { "id": "builder", "type": "code-run", "task": "Build the feature.", "provider": "codex", "model": "gpt-5-codex"{{Pin(slurm, nodes[0])}} },
                { "id": "reviewer", "type": "reviewer", "task": "Review the feature.", "depends_on": ["builder"]{{Pin(slurm, nodes[1])}} } ],
              "stop_when": { "reviewer_lgtm_count": 1, "max_iterations": 3 } }
            """);

        Verdicts(runs.Remote).ShouldBe(Verdicts(runs.Local));
        Verdicts(runs.Remote).ShouldBe(["1 iterate", "2 lgtm"]);
        Outcomes(runs.Remote).Keys.ShouldBe(["builder 1", "builder 2", "reviewer 1", "reviewer 2"]);
        Tree(runs.Remote.Root).Keys.ShouldBe(["iterations/1/review.md", "iterations/2/review.md", "rehearsal/builder.iteration-1.txt", "rehearsal/builder.iteration-2.txt"]);

        // Iteration 2 continued iteration 1's session on a node: codex's thread from CODEX_HOME, claude's from its config folder.
        foreach (var worker in new[] { "builder", "reviewer" })
        {
            var first = await WorkerExitRecord.ReadAsync(Path.Combine(runs.Remote.Layout.IterationDir(1), $"{worker}.exit.json"), TestContext.Current.CancellationToken);
            var second = await WorkerExitRecord.ReadAsync(Path.Combine(runs.Remote.Layout.IterationDir(2), $"{worker}.exit.json"), TestContext.Current.CancellationToken);
            first.SessionId.ShouldNotBeNullOrEmpty();
            second.SessionId.ShouldBe(first.SessionId, $"{worker} did not continue its own session on the node");
        }
    }

    /// <summary>The slurm run, the local run and the nodes the slurm one could use; disposing it ends both runs' processes.</summary>
    private sealed class RunPair(FleetRun remote, FleetRun local, IReadOnlyList<string> nodes) : IAsyncDisposable
    {
        public FleetRun Remote { get; } = remote;

        public FleetRun Local { get; } = local;

        public IReadOnlyList<string> Nodes { get; } = nodes;

        public async ValueTask DisposeAsync()
        {
            await Remote.DisposeAsync();
            await Local.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs the fleet <paramref name="fleet"/>(name, slurm, nodes) gives with placement slurm and with placement local,
    /// both at once, and checks what every comparison needs: both succeeded, the same outcome per (worker, iteration)
    /// and per run, the same files, and each slurm worker's claim and status naming its node, two nodes at least.
    /// </summary>
    private static async Task<RunPair> RunBothAsync(string stem, int iterations, Func<string, bool, IReadOnlyList<string>, string> fleet)
    {
        AgentCli.RequireOrSkip("claude");
        AgentCli.RequireOrSkip("codex");
        var conf = await SlurmCluster.RequireAsync();
        var nodes = await SlurmCluster.UsableNodesAsync();
        var name = $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";
        var runs = new RunPair(new FleetRun(fleet(name, true, nodes)), new FleetRun(fleet(name, false, nodes)), nodes);
        try
        {
            runs.Remote.Environment["SLURM_CONF"] = conf;
            var (remoteCode, localCode) = await BothAsync(runs.Remote, runs.Local);

            remoteCode.ShouldBe(0, runs.Remote.Diagnostics());
            localCode.ShouldBe(0, runs.Local.Diagnostics());
            Outcomes(runs.Remote).ShouldBe(Outcomes(runs.Local));
            Outcomes(runs.Remote).Values.ShouldAllBe(o => o == "Succeeded");
            runs.Remote.State.Ended!.Outcome.ShouldBe(runs.Local.State.Ended!.Outcome);
            Tree(runs.Remote.Root).ShouldBe(Tree(runs.Local.Root));
            await ShouldNameTheirNodesAsync(runs.Remote, runs.Local, iterations);
            return runs;
        }
        catch
        {
            await runs.DisposeAsync();
            throw;
        }
    }

    private static string Pin(bool slurm, string node) => slurm ? $$""", "slurm": { "extra_args": ["--nodelist={{node}}"] }""" : "";

    /// <summary>
    /// Both runs at once (each an orchestrator of its own), so the pair costs the wall time of one; each is waited for
    /// on its journal's end, and a run that does not end in time fails the test with its journal and logs.
    /// </summary>
    private static async Task<(int Remote, int Local)> BothAsync(FleetRun remote, FleetRun local)
    {
        foreach (var run in new[] { remote, local })
        {
            var (launched, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux");
            launched.ShouldBe(0, console.Stdout + console.Stderr);
        }

        return (await EndedAsync(remote), await EndedAsync(local));
    }

    private static async Task<int> EndedAsync(FleetRun run)
    {
        try
        {
            await run.WaitForAsync(s => s.Ended is not null, RunBound);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{run.Diagnostics()}", e);
        }

        return run.State.Ended!.ExitCode ?? -1;
    }

    /// <summary>A run of real CLIs takes seconds; the bound is for a 2-core machine loaded by several test runs.</summary>
    private static readonly TimeSpan RunBound = TimeSpan.FromMinutes(3);

    /// <summary>"worker iteration" → the worker's status as the journal tells it.</summary>
    private static SortedDictionary<string, string> Outcomes(FleetRun run) =>
        new(run.State.Workers.ToDictionary(w => $"{w.Worker} {w.Iteration}", w => w.Status.ToString()), StringComparer.Ordinal);

    private static IReadOnlyList<string> Verdicts(FleetRun run) => [.. run.State.Verdicts.Select(v => $"{v.Iteration} {v.Verdict}")];

    /// <summary>
    /// What the agents left in the root: every file but fleet's own records (.fleet, fleet.json, the iteration folders'
    /// logs, claims and exit records, which carry times, pids and session ids); the reviewers' review.md are kept.
    /// </summary>
    private static SortedDictionary<string, string> Tree(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith(".fleet/", StringComparison.Ordinal) && p != "fleet.json"
                && (!p.StartsWith("iterations/", StringComparison.Ordinal) || p.EndsWith("/review.md", StringComparison.Ordinal)))
            .ToDictionary(p => p, p => File.ReadAllText(Path.Combine(root, p))), StringComparer.Ordinal);

    /// <summary>
    /// Every slurm worker's claim names its node and the job of its record, the run used at least two nodes, and
    /// <c>fleet status --json</c> names each worker's node; the local run's claims name none.
    /// </summary>
    private static async Task ShouldNameTheirNodesAsync(FleetRun remote, FleetRun local, int iterations)
    {
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var worker in remote.State.Workers)
        {
            var dir = remote.Layout.IterationDir(worker.Iteration);
            var claim = WorkerClaim.TryRead(dir, worker.Worker);
            claim.ShouldNotBeNull($"{worker.Worker} {worker.Iteration} has no claim");
            claim.SlurmNode.ShouldNotBeNullOrEmpty($"{worker.Worker} {worker.Iteration}");
            claim.SlurmJobId.ShouldBe(SlurmJobRecord.TryRead(SlurmJob.RecordPath(dir, worker.Worker))!.JobId);
            nodes.Add(claim.SlurmNode);
            WorkerClaim.TryRead(local.Layout.IterationDir(worker.Iteration), worker.Worker)!.SlurmNode.ShouldBeNull();
        }

        nodes.Count.ShouldBeGreaterThanOrEqualTo(2, string.Join(", ", nodes));

        // Status shows the last iteration's workers, each with its job and node (squeue keeps an ended job for MinJobAge).
        var (code, status) = await remote.FleetAsync("status", remote.Root, "--json");
        code.ShouldBe(0, status.Stderr);
        using var json = JsonDocument.Parse(status.Stdout);
        var shown = json.RootElement.GetProperty("workers").EnumerateArray().ToList();
        shown.Count.ShouldBe(remote.State.Workers.Count(w => w.Iteration == iterations));
        foreach (var worker in shown)
        {
            var id = worker.GetProperty("worker").GetString()!;
            var claim = WorkerClaim.TryRead(remote.Layout.IterationDir(iterations), id)!;
            // "completed on w2", or "completing on w2" while slurmd still cleans up after the batch script.
            var slurm = worker.GetProperty("slurm").GetString();
            slurm.ShouldStartWith($"slurm job {claim.SlurmJobId} ", Case.Sensitive, status.Stdout);
            slurm.ShouldEndWith($" on {claim.SlurmNode}", Case.Sensitive, status.Stdout);
        }
    }
}
