using System.Globalization;
using System.Threading.Channels;
using Fleet.Paths;
using Fleet.Limits;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>How a run ended, or why it stopped for now.</summary>
/// <param name="Outcome"><c>success</c>, <c>failed</c>, <c>escalated</c>, <c>paused</c> or <c>killed</c>.</param>
/// <param name="Reason">In words, for status and the person.</param>
/// <param name="ExitCode">The exit code of DESIGN.md: 0 success, 1 failed, 3 needs a person.</param>
public sealed record RunOutcome(string Outcome, string Reason, int ExitCode);

/// <summary>Where a worker runs and what happens to its work when it ends (worktree fleets commit it).</summary>
public interface IWorkspace
{
    Task<string> PrepareAsync(ResolvedWorker worker, int iteration, CancellationToken cancellationToken);

    Task FinishAsync(ResolvedWorker worker, int iteration, WorkerExitRecord record, CancellationToken cancellationToken);
}

/// <summary>Every worker runs in the fleet root, or in its <c>workdir</c> (relative to the root) when it names one.</summary>
public sealed class RootWorkspace(string root) : IWorkspace
{
    public Task<string> PrepareAsync(ResolvedWorker worker, int iteration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var directory = worker.Workdir is { } workdir ? Path.GetFullPath(workdir, root) : root;
        return Directory.Exists(directory)
            ? Task.FromResult(directory)
            : throw new DirectoryNotFoundException($"{worker.Id}'s workdir {directory} does not exist");
    }

    public Task FinishAsync(ResolvedWorker worker, int iteration, WorkerExitRecord record, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>One ended worker, for the flight recorder.</summary>
public sealed record WorkerRecording(string? Run, string Fleet, ResolvedWorker Worker, int Iteration, string LogFile, WorkerExitRecord Record);

/// <summary>Records ended workers (the flight recorder); called off the path from one worker's end to the next one's start.</summary>
public interface IRunRecorder
{
    Task RecordAsync(WorkerRecording recording, CancellationToken cancellationToken);
}

public sealed record OrchestratorOptions
{
    public required ResolvedFleet Fleet { get; init; }

    public required IWorkerSpawner Spawner { get; init; }

    /// <summary>The argv that runs fleet itself (e.g. <c>[dotnet, /path/fleet.dll]</c>); the shim is this plus <c>worker --spec FILE</c>.</summary>
    public required IReadOnlyList<string> FleetCommand { get; init; }

    public WorkerRunOptions WorkerOptions { get; init; } = new();

    public IWorkspace? Workspace { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A safety net under the file-system events: how often to look at the files anyway.</summary>
    public TimeSpan SafetyPoll { get; init; } = TimeSpan.FromSeconds(2);

    public Action<string>? Log { get; init; }

    public IRunRecorder? Recorder { get; init; }

    /// <summary>How long limited workers wait (<see cref="Limits.LimitWait"/>).</summary>
    public LimitPolicy LimitPolicy { get; init; } = LimitPolicy.Default;
}

/// <summary>
/// Runs a fleet: layer after layer, iteration after iteration, within the stop rules. It reads and decides;
/// it never kills or restarts a worker, and no timeout ends one. Every decision is journaled before it is
/// acted on, so a restarted orchestrator continues where the last one stopped: it re-adopts running workers,
/// reads the exit files of those that ended meanwhile, and never starts a (worker, iteration) twice.
/// </summary>
public sealed class Orchestrator
{
    private readonly OrchestratorOptions _options;
    private readonly ResolvedFleet _fleet;
    private readonly FleetLayout _layout;
    private readonly Journal _journal;
    private readonly IWorkspace _workspace;
    private readonly IReadOnlyList<string> _order;
    private readonly HashSet<(string Worker, int Iteration)> _spawnedHere = [];
    private readonly Channel<WorkerRecording> _toRecord = Channel.CreateUnbounded<WorkerRecording>(new UnboundedChannelOptions { SingleReader = true });
    private RunState _state = new();
    private bool _progressed;
    private ShimPool? _shims;

    // True on the first round and on safety-poll rounds: only then are running workers' claims and processes read.
    private bool _lookForLostWorkers = true;

    public Orchestrator(OrchestratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _fleet = options.Fleet;
        _layout = new FleetLayout(_fleet.Root);
        _journal = new Journal(_layout.JournalFile, options.Time, _layout.Relative(_layout.JournalFile));
        _workspace = options.Workspace ?? new RootWorkspace(_layout.Root);
        _order = [.. _fleet.Graph.Layers().SelectMany(l => l)];
    }

    public async Task<RunOutcome> RunAsync(CancellationToken cancellationToken)
    {
        using var wake = new SemaphoreSlim(0);
        using var watcher = Watch(wake);
        using var shims = _options.Spawner.ShimsCanBeReused ? ShimPool.TryStart(() => Wake(wake), _options.Log) : null;
        _shims = shims;
        var recording = RecordEndedAsync(cancellationToken);
        try
        {
            return await DecideAsync(wake, cancellationToken);
        }
        catch (JournalLostException e)
        {
            // Never a silent new journal: the run stops here, says why where status looks, and its workers go on.
            await File.WriteAllTextAsync(_layout.JournalLostFile, e.Message + "\n", CancellationToken.None);
            _options.Log?.Invoke(e.Message);
            return new RunOutcome(JournalLostOutcome, $"{e.Message}; the workers were left running; start a new run with fleet launch", ExitCodes.NeedsPerson);
        }
        finally
        {
            _toRecord.Writer.TryComplete();
            await recording;
        }
    }

    private async Task<RunOutcome> DecideAsync(SemaphoreSlim wake, CancellationToken cancellationToken)
    {
        _state = RunState.Fold(Journal.Read(_layout.JournalFile));
        if (_state.RunId is null)
        {
            var journal = _layout.Relative(_layout.JournalFile);
            throw new JournalLostException(File.Exists(_layout.JournalFile)
                ? $"journal without a run: {journal} has no run_started entry"
                : $"journal missing: {journal} does not exist");
        }

        _journal.Pin();

        var self = Processes.ProcessIdentity.TryCapture(Environment.ProcessId);
        await AppendAsync(new JournalEntry { Type = JournalTypes.OrchestratorStarted, Pid = Environment.ProcessId, StartTime = self?.StartTime }, cancellationToken);
        while (true)
        {
            _journal.EnsureIntact();
            if (_state.Ended is { } ended)
            {
                return new RunOutcome(ended.Outcome ?? "failed", ended.Reason ?? string.Empty, ended.ExitCode ?? ExitCodes.Failed);
            }

            if (_state.Paused)
            {
                return Paused();
            }

            _progressed = false;
            if (await StepAsync(cancellationToken) is { } outcome)
            {
                return outcome;
            }

            if (_progressed)
            {
                // A decision may have made the next one possible (a new iteration, a skip): decide again at once.
                continue;
            }

            // Event-driven: an exit.json, a claim or .paused appearing wakes us; the poll is only a safety net.
            // A limited worker's reset wakes us too: no later than its time.
            var timeout = _options.SafetyPoll;
            if (NextLimitReset() is { } due)
            {
                var untilDue = due - _options.Time.GetUtcNow();
                timeout = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue < timeout ? untilDue + TimeSpan.FromMilliseconds(10) : timeout;
            }

            _lookForLostWorkers = !await wake.WaitAsync(timeout, cancellationToken);
        }
    }

    /// <summary>The outcome of an orchestrator that stopped because its journal was deleted or replaced.</summary>
    public const string JournalLostOutcome = "journal lost";

    private RunOutcome Paused() => _state.Escalated
        ? new RunOutcome("escalated", _state.PauseReason ?? "the reviewer escalated", ExitCodes.NeedsPerson)
        : new RunOutcome("paused", _state.PauseReason ?? "paused", ExitCodes.NeedsPerson);

    /// <summary>One round of decisions; an outcome when the run ended or paused.</summary>
    private async Task<RunOutcome?> StepAsync(CancellationToken cancellationToken)
    {
        var n = _state.Iteration;
        if (n == 0)
        {
            n = 1;
            await AppendAsync(new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = 1 }, cancellationToken);
        }

        while (_shims?.TryTakeLost(out var lost) == true)
        {
            // A shim went away with a worker it had not run: look at that worker's files again below.
            _spawnedHere.Remove(lost);
        }

        await CollectEndedAsync(n, cancellationToken);
        await ContinueLimitedAsync(n, cancellationToken);
        await SpawnReadyAsync(n, cancellationToken);
        _shims?.Trim(ShimsToKeep(n));

        if (_fleet.Workers.All(w => _state.Worker(w.Id, n).IsDone))
        {
            return await EndIterationAsync(n, cancellationToken);
        }

        var running = _fleet.Workers.Count(w => _state.Worker(w.Id, n).Status == WorkerStatus.Started);
        if (running == 0 && _state.CostCapReached)
        {
            var notStarted = _fleet.Workers.Where(w => _state.Worker(w.Id, n).Status == WorkerStatus.Pending).Select(w => w.Id);
            return await EndRunAsync("failed", $"cost cap reached: spent {Money(_state.Spent)} of {Money(_fleet.StopRules.CostCapUsd ?? 0)}; not started: {string.Join(", ", notStarted)}", ExitCodes.Failed, cancellationToken);
        }

        return null;
    }

    private async Task CollectEndedAsync(int n, CancellationToken cancellationToken)
    {
        var iterationDir = _layout.IterationDir(n);
        foreach (var worker in _fleet.Workers.Where(w => _state.Worker(w.Id, n).Status == WorkerStatus.Started))
        {
            var attempt = _state.Worker(worker.Id, n).Attempt;
            var record = await WorkerExitRecord.TryReadAsync(iterationDir, worker.Id, cancellationToken);
            if (record is null && await TryReadLimitedAsync(iterationDir, worker.Id, attempt, cancellationToken) is { } limited)
            {
                _shims?.Ended(worker.Id, n);
                await LimitedAsync(worker, n, attempt, limited, cancellationToken);
                continue;
            }

            if (record is not null)
            {
                await EndWorkerAsync(worker, n, record, cancellationToken);
                continue;
            }

            if (_spawnedHere.Contains((worker.Id, n)) && !_lookForLostWorkers)
            {
                // Started by this orchestrator and not ended: nothing to decide. A shim that died without a record is
                // found by the safety poll (or at once through its link); reading every claim and /proc entry on
                // every event made each round cost O(running workers).
                continue;
            }

            var claim = WorkerClaim.TryRead(iterationDir, worker.Id);
            if (claim is not null && (claim.Attempt ?? 1) < attempt)
            {
                // The claim of the limited attempt before this continuation: set aside, so the continuation's shim can claim.
                SetAsideClaim(iterationDir, worker.Id, claim.Attempt ?? 1);
                claim = null;
            }

            var verdict = WorkerRecovery.Decide(claim, claim?.Shim.IsAlive == true, claim?.Agent?.IsAlive == true);
            switch (verdict)
            {
                case RecoveryVerdict.Unclaimed:
                    // Journaled but never claimed: a previous orchestrator died between its intent and the spawn, or the
                    // shim is still starting. Spawning again is safe: only one shim can claim the pair.
                    if (!_spawnedHere.Contains((worker.Id, n)))
                    {
                        await SpawnAsync(worker, n, cancellationToken, attempt);
                    }

                    break;
                case RecoveryVerdict.Running:
                    break;
                case RecoveryVerdict.RecordedInClaim:
                    // exit.json is where every outcome lives: put it there if the folder lets us, and end the worker with it.
                    _ = TryWriteExitRecord(claim!.Exit!, iterationDir, worker.Id);
                    await EndWorkerAsync(worker, n, await WorkerExitRecord.TryReadAsync(iterationDir, worker.Id, cancellationToken) ?? claim.Exit!, cancellationToken);
                    break;
                default:
                    // Looked at after the processes: a shim writes exit.json before it ends.
                    if (await WorkerExitRecord.TryReadAsync(iterationDir, worker.Id, cancellationToken) is { } late)
                    {
                        await EndWorkerAsync(worker, n, late, cancellationToken);
                        break;
                    }

                    if (await TryReadLimitedAsync(iterationDir, worker.Id, attempt, cancellationToken) is not null)
                    {
                        // Limited after the look above: the next round takes it as limited, never as lost.
                        break;
                    }

                    await AppendAsync(new JournalEntry
                    {
                        Type = JournalTypes.WorkerEnded,
                        Worker = worker.Id,
                        Iteration = n,
                        Outcome = "failed",
                        Reason = WorkerRecovery.Reason(verdict),
                    }, cancellationToken);
                    break;
            }
        }
    }

    private async Task EndWorkerAsync(ResolvedWorker worker, int n, WorkerExitRecord record, CancellationToken cancellationToken)
    {
        _shims?.Ended(worker.Id, n);
        await _workspace.FinishAsync(worker, n, record, cancellationToken);
        _toRecord.Writer.TryWrite(new WorkerRecording(_state.RunId, _fleet.Name, worker, n, _layout.LogFile(n, worker.Id), record));

        // Not flushed on its own: exit.json stays the truth until then, and a spawn of this round flushes it.
        await AppendAsync(new JournalEntry
        {
            Type = JournalTypes.WorkerEnded,
            Worker = worker.Id,
            Iteration = n,
            Outcome = record.Outcome.ToString().ToLowerInvariant(),
            Reason = record.Error,
            CostUsd = record.CostUsd,
            ExitCode = record.ExitCode,
            Signal = record.Signal,
        }, cancellationToken, flush: false);
    }

    /// <summary>Writes exit.json unless it exists or the folder refuses; false when it could not.</summary>
    private static bool TryWriteExitRecord(WorkerExitRecord record, string iterationDir, string worker)
    {
        try
        {
            record.WriteAtomically(WorkerFiles.For(iterationDir, worker).ExitJson);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The flight recorder, on its own task: recording an ended worker (SQLite, tens of milliseconds) never delays
    /// a decision, so neither its dependents nor another worker's end wait for it.
    /// </summary>
    private async Task RecordEndedAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var recording in _toRecord.Reader.ReadAllAsync(cancellationToken))
            {
                if (_options.Recorder is not { } recorder)
                {
                    continue;
                }

                try
                {
                    await recorder.RecordAsync(recording, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _options.Log?.Invoke($"telemetry: could not record {recording.Worker.Id} iteration {recording.Iteration}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Idle shims worth keeping: as many as workers may still start in this run (at most max_concurrent).</summary>
    private int ShimsToKeep(int n) => _fleet.Type == FleetType.Iterative
        ? Math.Min(_fleet.MaxConcurrent, _fleet.Workers.Count)
        : Math.Min(_fleet.MaxConcurrent, _fleet.Workers.Count(w => _state.Worker(w.Id, n).Status == WorkerStatus.Pending));

    private async Task SpawnReadyAsync(int n, CancellationToken cancellationToken)
    {
        var running = _fleet.Workers.Count(w => _state.Worker(w.Id, n).Status == WorkerStatus.Started);
        var ready = new List<ResolvedWorker>();
        foreach (var id in _order)
        {
            if (_state.Worker(id, n).Status != WorkerStatus.Pending)
            {
                continue;
            }

            var worker = _fleet.Worker(id);
            var dependencies = worker.DependsOn.Select(d => _state.Worker(d, n)).ToList();
            if (dependencies.Any(d => !d.IsDone))
            {
                continue;
            }

            // A dag's dependents of a failed worker are skipped; in an iterative fleet the reviewer sees the failure and decides.
            var broken = dependencies.Where(d => d.Status != WorkerStatus.Succeeded).ToList();
            if (_fleet.Type != FleetType.Iterative && broken.Count > 0)
            {
                await AppendAsync(new JournalEntry
                {
                    Type = JournalTypes.WorkerSkipped,
                    Worker = id,
                    Iteration = n,
                    Reason = string.Join("; ", broken.Select(d => $"{d.Worker} {d.Status.ToString().ToLowerInvariant()}")),
                }, cancellationToken);
                continue;
            }

            if (running >= _fleet.MaxConcurrent)
            {
                continue;
            }

            // The cap is checked before every spawn; running workers are never stopped for cost.
            if (_fleet.StopRules.CostCapUsd is { } cap && _state.Spent >= cap)
            {
                if (!_state.CostCapReached)
                {
                    await AppendAsync(new JournalEntry { Type = JournalTypes.CostCapReached, CostUsd = _state.Spent, Reason = $"spent {Money(_state.Spent)} of {Money(cap)}" }, cancellationToken);
                }

                break;
            }

            await AppendAsync(new JournalEntry { Type = JournalTypes.WorkerSpawning, Worker = worker.Id, Iteration = n, Brief = Gates.PromptEdits.Hash(_layout, worker.Id) }, cancellationToken, flush: false);
            ready.Add(worker);
            running++;
        }

        if (ready.Count == 0)
        {
            return;
        }

        // Intent before action: one fsync puts every decision of this round (and the ends it read) on disk
        // before the first of them is acted on.
        _journal.Flush();
        foreach (var worker in ready)
        {
            await SpawnAsync(worker, n, cancellationToken);
        }
    }

    private async Task SpawnAsync(ResolvedWorker worker, int n, CancellationToken cancellationToken, int attempt = 1)
    {
        _spawnedHere.Add((worker.Id, n));
        var iterationDir = _layout.IterationDir(n);
        PrivateFiles.CreateDirectory(iterationDir);
        var suffix = attempt > 1 ? string.Create(CultureInfo.InvariantCulture, $".attempt-{attempt}") : string.Empty;
        var specFile = Path.Combine(iterationDir, $"{worker.Id}{suffix}.spec.json");
        try
        {
            var directory = await _workspace.PrepareAsync(worker, n, cancellationToken);
            WorkerLaunchSpec spec;
            if (attempt > 1)
            {
                var limited = await TryReadLimitedAsync(iterationDir, worker.Id, attempt - 1, cancellationToken);
                spec = await WorkerPreparation.PrepareContinuationAsync(_fleet, worker.Id, n, attempt, limited, _options.WorkerOptions with { WorkingDirectory = directory }, cancellationToken);
            }
            else
            {
                var extra = worker.Type == WorkerType.Reviewer
                    ? Briefs.ForReviewer(_fleet, worker, n, _state, _layout)
                    : Briefs.ForCodeRun(worker, n, _layout);
                spec = await WorkerPreparation.PrepareAsync(_fleet, worker.Id, n, _options.WorkerOptions with { WorkingDirectory = directory }, extra, cancellationToken);
            }

            // A continuation always starts a new shim: the pool counts a (worker, iteration) once.
            var pooled = attempt == 1 ? _shims : null;
            await (spec with { LinkName = pooled?.Name }).WriteAsync(specFile, cancellationToken);
            var shimLog = Path.Combine(iterationDir, $"{worker.Id}{suffix}.shim.log");
            if (pooled?.TryAssign(worker.Id, n, specFile, shimLog) == true)
            {
                _options.Log?.Invoke($"iteration {n}: started {worker.Id} (handed to the idle shim of an ended worker; view in {shimLog})");
                return;
            }

            var spawned = await _options.Spawner.SpawnAsync(
                new SpawnRequest(_fleet.Name, _layout.Root, worker.Id, n, [.. _options.FleetCommand, "worker", "--spec", specFile], shimLog),
                cancellationToken);
            _options.Log?.Invoke($"iteration {n}: started {worker.Id} ({spawned.Mode}: {spawned.Detail})");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The spawn failed, but a shim may have started all the same (a hand-over that timed out): only the claim
            // makes "nothing started" certain. Taking it keeps any shim from starting now; if a shim holds it, its own
            // record (or the claim) tells the outcome.
            var now = _options.Time.GetUtcNow();
            var record = new WorkerExitRecord { Worker = worker.Id, Iteration = n, StartedAt = now, EndedAt = now, Outcome = WorkerOutcome.Failed, IsError = true, Error = $"could not start: {e.Message}", Attempt = attempt > 1 ? attempt : null };
            if (!WorkerClaim.TryCreate(iterationDir, worker.Id, out var claimHandle))
            {
                _options.Log?.Invoke($"iteration {n}: starting {worker.Id} failed ({e.Message}), but a shim holds its claim: its record decides");
                return;
            }

            await using (claimHandle!)
            {
                // No process holds this claim (pid 0); it carries the outcome in case exit.json cannot be written.
                new WorkerClaim { ShimPid = 0, ShimStartTime = 0, Exit = record }.Write(claimHandle!);
            }

            if (!File.Exists(Path.Combine(iterationDir, $"{worker.Id}.exit.json")))
            {
                await record.WriteAtomicallyAsync(Path.Combine(iterationDir, $"{worker.Id}.exit.json"), cancellationToken);
            }
        }
    }

    /// <summary>A limited run's record, or null when there is none (yet).</summary>
    private static async Task<WorkerExitRecord?> TryReadLimitedAsync(string iterationDir, string worker, int attempt, CancellationToken cancellationToken)
    {
        var path = WorkerFiles.LimitedExitJson(iterationDir, worker, attempt);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return await WorkerExitRecord.ReadAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A run ended on a limit: journal when its session continues, or end the worker when fleet will not wait.</summary>
    private async Task LimitedAsync(ResolvedWorker worker, int n, int attempt, WorkerExitRecord record, CancellationToken cancellationToken)
    {
        var hit = new LimitHit(
            record.Reason switch { "usage limit" => LimitKind.UsageLimit, "rate limit" => LimitKind.RateLimit, _ => LimitKind.Overloaded },
            record.ResetsAt,
            record.Error ?? record.Reason ?? "limit");
        var decision = LimitWait.Decide(hit, record.EndedAt, _state.Worker(worker.Id, n).Limits, _options.LimitPolicy);
        await AppendAsync(new JournalEntry
        {
            Type = JournalTypes.WorkerLimited,
            Worker = worker.Id,
            Iteration = n,
            Attempt = attempt > 1 ? attempt : null,
            Outcome = "limited",
            Reason = $"{hit.Name}: {hit.Text}",
            CostUsd = record.CostUsd,
            Until = decision.Until,
        }, cancellationToken);
        if (decision.Until is null)
        {
            await EndLimitedAsync(worker.Id, n, decision.Reason, record, cancellationToken);
        }
    }

    private Task EndLimitedAsync(string worker, int n, string reason, WorkerExitRecord? record, CancellationToken cancellationToken) =>
        AppendAsync(new JournalEntry
        {
            Type = JournalTypes.WorkerEnded,
            Worker = worker,
            Iteration = n,
            Outcome = "failed",
            Reason = $"{reason}; not continued",
            ExitCode = record?.ExitCode,
        }, cancellationToken);

    /// <summary>
    /// Continues each limited worker whose reset has come, or at once when a person asked (<c>fleet resume</c>):
    /// intent first (<c>worker_continued</c> with the new attempt), then a new shim that claims the pair for that
    /// attempt, so a restarted orchestrator neither loses nor repeats the continuation. The cost cap still holds.
    /// </summary>
    private async Task ContinueLimitedAsync(int n, CancellationToken cancellationToken)
    {
        var asked = File.Exists(_layout.ContinueNowFile);
        var now = _options.Time.GetUtcNow();
        var due = new List<(ResolvedWorker Worker, int Attempt)>();
        foreach (var worker in _fleet.Workers)
        {
            var state = _state.Worker(worker.Id, n);
            if (state.Status != WorkerStatus.Limited)
            {
                continue;
            }

            if (_fleet.StopRules.CostCapUsd is { } cap && _state.Spent >= cap)
            {
                await EndLimitedAsync(worker.Id, n, $"{state.Reason}; cost cap reached: spent {Money(_state.Spent)} of {Money(cap)}", null, cancellationToken);
                continue;
            }

            if (asked || state.LimitedUntil is not { } until || until <= now)
            {
                await AppendAsync(new JournalEntry
                {
                    Type = JournalTypes.WorkerContinued,
                    Worker = worker.Id,
                    Iteration = n,
                    Attempt = state.Attempt + 1,
                    Reason = asked ? "continued by a person (fleet resume)" : "the limit has reset",
                }, cancellationToken);
                due.Add((worker, state.Attempt + 1));
            }
        }

        if (asked)
        {
            File.Delete(_layout.ContinueNowFile);
        }

        foreach (var (worker, attempt) in due)
        {
            SetAsideClaim(_layout.IterationDir(n), worker.Id, attempt - 1);
            _spawnedHere.Remove((worker.Id, n));
            await SpawnAsync(worker, n, cancellationToken, attempt);
        }
    }

    /// <summary>Moves a limited attempt's claim out of the claim's name (idempotent), keeping it beside the other files.</summary>
    private static void SetAsideClaim(string iterationDir, string worker, int attempt)
    {
        var claim = WorkerClaim.PathFor(iterationDir, worker);
        if (WorkerClaim.TryRead(iterationDir, worker) is { } held && (held.Attempt ?? 1) == attempt)
        {
            try
            {
                File.Move(claim, WorkerFiles.LimitedClaim(iterationDir, worker, attempt), overwrite: true);
            }
            catch (FileNotFoundException)
            {
            }
        }
    }

    private DateTimeOffset? NextLimitReset()
    {
        var n = Math.Max(1, _state.Iteration);
        var times = _fleet.Workers.Select(w => _state.Worker(w.Id, n)).Where(w => w.Status == WorkerStatus.Limited && w.LimitedUntil is not null).Select(w => w.LimitedUntil!.Value).ToList();
        return times.Count == 0 ? null : times.Min();
    }

    private async Task<RunOutcome?> EndIterationAsync(int n, CancellationToken cancellationToken)
    {
        if (_fleet.Type != FleetType.Iterative)
        {
            var notOk = _fleet.Workers.Select(w => _state.Worker(w.Id, n)).Where(w => w.Status != WorkerStatus.Succeeded).ToList();
            return notOk.Count == 0
                ? await EndRunAsync("success", $"all {_fleet.Workers.Count} workers succeeded", ExitCodes.Success, cancellationToken)
                : await EndRunAsync("failed", string.Join("; ", notOk.Select(w => $"{w.Worker} {w.Status.ToString().ToLowerInvariant()}{(w.Reason is null ? "" : ": " + w.Reason)}")), ExitCodes.Failed, cancellationToken);
        }

        var resumedHere = _state.ResumedAtIteration == n;
        if (_state.Verdicts.All(v => v.Iteration != n))
        {
            var review = ReviewVerdicts.Read(_layout.ReviewFile(n));
            await AppendAsync(new JournalEntry { Type = JournalTypes.Verdict, Iteration = n, Outcome = review.Verdict, Reason = review.Reason, Source = review.Source }, cancellationToken);
        }

        var verdict = _state.Verdicts.First(v => v.Iteration == n);
        var rules = _fleet.StopRules;
        if (verdict.Verdict == ReviewVerdicts.Lgtm && _state.LgtmCount >= rules.ReviewerLgtmCount)
        {
            return await EndRunAsync("success", $"{_state.LgtmCount} lgtm verdict{(_state.LgtmCount == 1 ? "" : "s")} (needed {rules.ReviewerLgtmCount})", ExitCodes.Success, cancellationToken);
        }

        if (verdict.Verdict == ReviewVerdicts.Escalate && !resumedHere)
        {
            await AppendAsync(new JournalEntry { Type = JournalTypes.Paused, Iteration = n, Outcome = "escalated", Reason = verdict.Reason ?? "the reviewer escalated without a reason" }, cancellationToken);
            return Paused();
        }

        if (n >= rules.MaxIterations)
        {
            return await EndRunAsync("failed", $"max iterations ({rules.MaxIterations}) reached with {_state.LgtmCount} of {rules.ReviewerLgtmCount} lgtm verdicts", ExitCodes.Failed, cancellationToken);
        }

        if (rules.CostCapUsd is { } cap && _state.Spent >= cap)
        {
            return await EndRunAsync("failed", $"cost cap reached: spent {Money(_state.Spent)} of {Money(cap)}", ExitCodes.Failed, cancellationToken);
        }

        if (File.Exists(_layout.PausedFile) && !resumedHere)
        {
            await AppendAsync(new JournalEntry { Type = JournalTypes.Paused, Iteration = n, Outcome = "paused", Reason = $"paused by a person ({_layout.Relative(_layout.PausedFile)}) after iteration {n}" }, cancellationToken);
            return Paused();
        }

        await AppendAsync(new JournalEntry { Type = JournalTypes.IterationStarted, Iteration = n + 1 }, cancellationToken);
        return null;
    }

    private async Task<RunOutcome> EndRunAsync(string outcome, string reason, int exitCode, CancellationToken cancellationToken)
    {
        await AppendAsync(new JournalEntry { Type = JournalTypes.RunEnded, Outcome = outcome, Reason = reason, ExitCode = exitCode, CostUsd = _state.Spent }, cancellationToken);
        return new RunOutcome(outcome, reason, exitCode);
    }

    private async Task AppendAsync(JournalEntry entry, CancellationToken cancellationToken, bool flush = true)
    {
        var written = await _journal.AppendAsync(entry with { Run = _state.RunId }, flush, cancellationToken);
        _state.Apply(written);
        _progressed = true;
        _options.Log?.Invoke(Describe(written));
    }

    private static string Describe(JournalEntry e) => string.Join(' ', new[]
    {
        e.Type,
        e.Worker,
        e.Iteration?.ToString(CultureInfo.InvariantCulture) is { } i ? $"#{i}" : null,
        e.Outcome,
        e.Reason,
    }.Where(p => p is not null));

    private static string Money(decimal value) => value.ToString("$0.00##", CultureInfo.InvariantCulture);

    private static void Wake(SemaphoreSlim wake)
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    private FileSystemWatcher? Watch(SemaphoreSlim wake)
    {
        try
        {
            PrivateFiles.CreateDirectory(Path.Combine(_layout.Root, "iterations"));
            var watcher = new FileSystemWatcher(_layout.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite,
            };
            void Signal(object sender, FileSystemEventArgs e)
            {
                var name = Path.GetFileName(e.FullPath);
                // Claims (.run.json) are not watched: a claim appearing or changing decides nothing. The journal's own
                // appends change it; only its removal or replacement is news.
                if (name.EndsWith(".exit.json", StringComparison.Ordinal) || name == ".paused" || e.FullPath == _layout.ContinueNowFile
                    || (e.ChangeType != WatcherChangeTypes.Changed && IsJournal(e)))
                {
                    Wake(wake);
                }
            }

            bool IsJournal(FileSystemEventArgs e) =>
                e.FullPath == _layout.JournalFile || (e is RenamedEventArgs r && r.OldFullPath == _layout.JournalFile);

            watcher.Created += Signal;
            watcher.Deleted += Signal;
            watcher.Renamed += (s, e) => Signal(s, e);
            watcher.Changed += Signal;
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (IOException)
        {
            // Out of inotify watches: the safety poll still finds every change, only later.
            return null;
        }
    }
}
