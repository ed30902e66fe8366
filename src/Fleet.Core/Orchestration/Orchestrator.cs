using System.Globalization;
using System.Threading.Channels;
using Fleet.Paths;
using Fleet.Reviews;
using Fleet.Scheduling;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Orchestration;

/// <summary>
/// Runs a fleet: layer after layer, iteration after iteration, within the stop rules. It reads and decides;
/// it never kills or restarts a worker, and no timeout ends one. Every decision is journaled before it is
/// acted on, so a restarted orchestrator continues where the last one stopped: it re-adopts running workers,
/// reads the exit files of those that ended meanwhile, and never starts a (worker, iteration) twice.
/// Each round observes the files and processes, asks <see cref="Scheduler.Decide"/> what to do, and journals and
/// does it in that order.
/// </summary>
public sealed class Orchestrator
{
    private readonly OrchestratorOptions _options;
    private readonly ResolvedFleet _fleet;
    private readonly FleetLayout _layout;
    private readonly Journal _journal;
    private readonly IWorkspace _workspace;
    private readonly HashSet<(string Worker, int Iteration)> _spawnedHere = [];
    private readonly Channel<WorkerRecording> _toRecord = Channel.CreateUnbounded<WorkerRecording>(new UnboundedChannelOptions { SingleReader = true });
    private RunState _state = new();
    private ShimPool? _shims;
    private ReviewRead? _review;

    // squeue's answer, read at most once per round, for every slurm worker at once.
    private IReadOnlyList<Placement.SlurmJobInfo>? _jobs;
    private bool _unflushed;

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
        await AppendAsync(new JournalEntry { Type = JournalTypes.OrchestratorStarted, Pid = Environment.ProcessId, StartTime = self?.StartTime }, flush: true, cancellationToken);
        while (true)
        {
            _journal.EnsureIntact();
            var observed = await ObserveAsync(cancellationToken);
            foreach (var decision in Scheduler.Decide(_state, _fleet, observed, _options.LimitPolicy))
            {
                await ActAsync(decision, wake, cancellationToken);
                if (decision is Halt halt)
                {
                    if (halt is EndRun)
                    {
                        // A pause asked for a run that has ended no longer applies to anything.
                        File.Delete(_layout.PausedFile);
                    }

                    return new RunOutcome(halt.Outcome, halt.Reason, halt.ExitCode);
                }
            }
        }
    }

    /// <summary>The outcome of an orchestrator that stopped because its journal was deleted or replaced.</summary>
    public const string JournalLostOutcome = "journal lost";

    /// <summary>What the scheduler needs that the journal does not hold: the started workers' files and processes, the requests of a person.</summary>
    private async Task<Observations> ObserveAsync(CancellationToken cancellationToken)
    {
        while (_shims?.TryTakeLost(out var lost) == true)
        {
            // A shim went away with a worker it had not run: look at that worker's files again.
            _spawnedHere.Remove(lost);
        }

        var n = Math.Max(1, _state.Iteration);
        _jobs = null;
        var workers = new Dictionary<string, WorkerObservation>(StringComparer.Ordinal);
        foreach (var worker in _fleet.Workers)
        {
            if (_state.Worker(worker.Id, n) is { Status: WorkerStatus.Started } started)
            {
                workers[worker.Id] = await ObserveAsync(_layout.IterationDir(n), worker.Id, n, started.Attempt, cancellationToken);
            }
        }

        var review = _review;
        _review = null;
        return new Observations
        {
            Now = _options.Time.GetUtcNow(),
            Workers = workers,
            ContinueRequested = File.Exists(_layout.ContinueNowFile),
            PauseRequested = File.Exists(_layout.PausedFile),
            Review = review,
        };
    }

    private async Task<WorkerObservation> ObserveAsync(string iterationDir, string worker, int n, int attempt, CancellationToken cancellationToken)
    {
        if (_fleet.Worker(worker).Placement == WorkerPlacement.Slurm)
        {
            return await ObserveSlurmAsync(iterationDir, worker, n, attempt, cancellationToken);
        }

        var startedHere = _spawnedHere.Contains((worker, n));
        var exit = await WorkerExitRecord.TryReadAsync(iterationDir, worker, cancellationToken);
        var limited = exit is null ? await TryReadLimitedAsync(iterationDir, worker, attempt, cancellationToken) : null;
        if (exit is not null || limited is not null || (startedHere && !_lookForLostWorkers))
        {
            // Started by this orchestrator and not ended: a shim that died without a record is found by the safety
            // poll (or at once through its link); reading every claim and /proc entry on every event made each round
            // cost O(running workers).
            return new WorkerObservation { Exit = exit, Limited = limited, StartedHere = startedHere };
        }

        var claim = WorkerClaim.TryRead(iterationDir, worker);
        var shimAlive = claim?.Shim.IsAlive == true;
        var agentAlive = claim?.Agent?.IsAlive == true;

        // Read after the processes: a shim writes exit.json before it ends.
        var exitAfter = await WorkerExitRecord.TryReadAsync(iterationDir, worker, cancellationToken);
        var limitedAfter = exitAfter is null && await TryReadLimitedAsync(iterationDir, worker, attempt, cancellationToken) is not null;
        return new WorkerObservation
        {
            StartedHere = startedHere,
            Claim = new ClaimObservation(claim, shimAlive, agentAlive, exitAfter, limitedAfter),
        };
    }

    /// <summary>
    /// A slurm worker: its files are on the shared file system (read on every event and every safety poll, since events
    /// from other machines may never arrive), and its shim's liveness is its job's state. A job that Slurm ended
    /// (NODE_FAIL, CANCELLED …) without an exit.json is the worker's failed outcome, with the reason; never requeued.
    /// </summary>
    private async Task<WorkerObservation> ObserveSlurmAsync(string iterationDir, string worker, int n, int attempt, CancellationToken cancellationToken)
    {
        var startedHere = _spawnedHere.Contains((worker, n));
        var exit = await WorkerExitRecord.TryReadAsync(iterationDir, worker, cancellationToken);
        var limited = exit is null ? await TryReadLimitedAsync(iterationDir, worker, attempt, cancellationToken) : null;
        var suffix = attempt > 1 ? string.Create(CultureInfo.InvariantCulture, $".attempt-{attempt}") : string.Empty;
        var record = Placement.SlurmJobRecord.TryRead(Path.Combine(iterationDir, $"{worker}{suffix}.slurm.json"));
        if ((exit is not null && exit.Outcome == WorkerOutcome.Succeeded) || limited is not null)
        {
            return new WorkerObservation { Exit = exit, Limited = limited, StartedHere = startedHere };
        }

        var claim = WorkerClaim.TryRead(iterationDir, worker);
        var jobs = _options.Slurm is null ? null : _jobs ??= await _options.Slurm.QueueAsync(cancellationToken);
        var jobId = record?.JobId ?? claim?.SlurmJobId;
        // squeue could not answer (the controller restarting): nothing is concluded from silence.
        var view = jobs is null ? new Placement.JobView(Placement.JobPhase.Running, null, "slurm: squeue did not answer")
            : Placement.SlurmJobStates.Map(jobs.FirstOrDefault(j => j.JobId == jobId), jobId);
        if (exit is not null)
        {
            // A shim that outlived its node's failure long enough to record the agent's death: the cause is Slurm's.
            return new WorkerObservation
            {
                Exit = view.Phase == Placement.JobPhase.Failed ? exit with { Outcome = WorkerOutcome.Failed, Error = $"{view.FailureReason} (the shim recorded: {exit.Error ?? exit.Reason})" } : exit,
                StartedHere = startedHere,
            };
        }
        if (view.Phase == Placement.JobPhase.Failed && jobId is not null)
        {
            var failed = await RecordJobFailureAsync(iterationDir, worker, n, attempt, claim, view.FailureReason!, cancellationToken);
            if (failed is not null)
            {
                return new WorkerObservation { Exit = failed, StartedHere = startedHere };
            }
        }

        var exitAfter = await WorkerExitRecord.TryReadAsync(iterationDir, worker, cancellationToken);
        var limitedAfter = exitAfter is null && await TryReadLimitedAsync(iterationDir, worker, attempt, cancellationToken) is not null;
        if (claim is null && view.Alive)
        {
            // Queued, or on a node and not yet claimed: the job is the shim.
            return new WorkerObservation { StartedHere = true, Exit = exitAfter };
        }

        if (claim is null && record is not null && exitAfter is null && view.Phase is Placement.JobPhase.Completed or Placement.JobPhase.Unknown)
        {
            var never = $"lost: never started (slurm job {record.JobId} ended before its shim claimed the worker; its output is in {worker}{suffix}.shim.log)";
            return new WorkerObservation { Exit = await RecordJobFailureAsync(iterationDir, worker, n, attempt, null, never, cancellationToken), StartedHere = startedHere };
        }

        return new WorkerObservation
        {
            StartedHere = startedHere || view.Alive,
            Claim = new ClaimObservation(claim, view.Alive, view.Alive, exitAfter, limitedAfter),
        };
    }

    /// <summary>
    /// Writes the failed outcome of a job Slurm ended, unless the shim's own record is there: the claim is taken first
    /// when no shim holds it, so a late shim can never start the worker afterwards.
    /// </summary>
    private async Task<WorkerExitRecord?> RecordJobFailureAsync(string iterationDir, string worker, int n, int attempt, WorkerClaim? claim, string reason, CancellationToken cancellationToken)
    {
        if (claim is null && WorkerClaim.TryCreate(iterationDir, worker, out var handle))
        {
            await using (handle!)
            {
                new WorkerClaim { ShimPid = 0, ShimStartTime = 0 }.Write(handle!);
            }
        }

        var now = _options.Time.GetUtcNow();
        var record = new WorkerExitRecord
        {
            Worker = worker,
            Iteration = n,
            StartedAt = claim?.AgentStartedAt ?? now,
            EndedAt = now,
            Outcome = WorkerOutcome.Failed,
            IsError = true,
            Reason = reason,
            Error = reason,
            Attempt = attempt > 1 ? attempt : null,
        };
        if (await WorkerExitRecord.TryReadAsync(iterationDir, worker, cancellationToken) is { } own)
        {
            return own;
        }

        _ = TryWriteExitRecord(record, iterationDir, worker);
        _options.Log?.Invoke($"iteration {n}: {worker} failed: {reason}");
        return await WorkerExitRecord.TryReadAsync(iterationDir, worker, cancellationToken) ?? record;
    }

    /// <summary>Does what a decision says, then journals its entry: a worker's work is finished before its end is on record.</summary>
    private async Task ActAsync(Decision decision, SemaphoreSlim wake, CancellationToken cancellationToken)
    {
        var entry = decision.Entry;
        switch (decision)
        {
            case EndWorker end:
                await EndWorkerAsync(end, cancellationToken);
                break;
            case RecordLimit limit:
                _shims?.Ended(limit.Worker.Id, limit.Iteration);
                break;
            case SetAsideClaim aside:
                SetAsideClaim(_layout.IterationDir(aside.Iteration), aside.Worker, aside.Attempt);
                break;
            case ClearContinueRequest:
                File.Delete(_layout.ContinueNowFile);
                break;
            case StartWorker start:
                entry = entry! with { Brief = Gates.PromptEdits.Hash(_layout, start.Worker.Id) };
                break;
            case Spawn spawn:
                if (_unflushed)
                {
                    // Intent before action: one fsync puts every decision of this round (and the ends it read) on disk
                    // before the first of them is acted on.
                    _journal.Flush();
                    _unflushed = false;
                }

                await SpawnAsync(spawn.Worker, spawn.Iteration, cancellationToken, spawn.Attempt);
                break;
            case KeepIdleShims keep:
                _shims?.Trim(keep.Count);
                break;
            case ReadReview read:
                _review = new ReviewRead(read.Iteration, ReviewVerdicts.Capped(
                    ReviewVerdicts.Read(_layout.ReviewFile(read.Iteration)), ReviewVerdicts.ReadBlock(_layout.LgtmBlockFile(read.Iteration))));
                break;
            case Wait wait:
                await WaitAsync(wait, wake, cancellationToken);
                break;
            default:
                break;
        }

        if (entry is not null)
        {
            await AppendAsync(entry, decision.Flush, cancellationToken);
        }
    }

    /// <summary>Event-driven: an exit.json, a claim or .paused appearing wakes us; the poll is only a safety net. A limited worker's reset wakes us too: no later than its time.</summary>
    private async Task WaitAsync(Wait wait, SemaphoreSlim wake, CancellationToken cancellationToken)
    {
        var timeout = _options.SafetyPoll;
        if (wait.Until is { } due)
        {
            var untilDue = due - _options.Time.GetUtcNow();
            timeout = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue < timeout ? untilDue + TimeSpan.FromMilliseconds(10) : timeout;
        }

        _lookForLostWorkers = !await wake.WaitAsync(timeout, cancellationToken);
    }

    private async Task EndWorkerAsync(EndWorker end, CancellationToken cancellationToken)
    {
        var (worker, n, record) = (end.Worker, end.Iteration, end.Record);
        if (end.FromClaim)
        {
            // exit.json is where every outcome lives: put it there if the folder lets us.
            _ = TryWriteExitRecord(record, _layout.IterationDir(n), worker.Id);
        }

        _shims?.Ended(worker.Id, n);
        await _workspace.FinishAsync(worker, n, record, cancellationToken);
        _toRecord.Writer.TryWrite(new WorkerRecording(_state.RunId, _fleet.Name, worker, n, _layout.LogFile(n, worker.Id), record) { Rehearsal = _state.Rehearsal is not null });
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

            // A continuation always starts a new shim: the pool counts a (worker, iteration) once. A slurm worker's shim
            // runs on a node, which the pool's abstract sockets do not reach.
            var slurm = worker.Placement == WorkerPlacement.Slurm;
            var pooled = attempt == 1 && !slurm ? _shims : null;
            await (spec with { LinkName = pooled?.Name }).WriteAsync(specFile, cancellationToken);
            var shimLog = Path.Combine(iterationDir, $"{worker.Id}{suffix}.shim.log");
            if (pooled?.TryAssign(worker.Id, n, specFile, shimLog) == true)
            {
                _options.Log?.Invoke($"iteration {n}: started {worker.Id} (handed to the idle shim of an ended worker; view in {shimLog})");
                return;
            }

            var spawner = slurm ? _options.SlurmSpawner ?? throw new InvalidOperationException("no slurm spawner for a slurm worker") : _options.Spawner;
            var spawned = await spawner.SpawnAsync(
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

    private async Task AppendAsync(JournalEntry entry, bool flush, CancellationToken cancellationToken)
    {
        var written = await _journal.AppendAsync(entry with { Run = _state.RunId }, flush, cancellationToken);
        _unflushed = !flush;
        _state.Apply(written);
        _options.Notifier?.Poke();
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

    private static void Wake(SemaphoreSlim wake)
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    private FileSystemWatcher? Watch(SemaphoreSlim wake)
    {
        PrivateFiles.CreateDirectory(Path.Combine(_layout.Root, "iterations"));
        void Signal(object sender, FileSystemEventArgs e)
        {
            var name = Path.GetFileName(e.FullPath);
            if (name.EndsWith(".request.json", StringComparison.Ordinal))
            {
                // A gate opened: news for the notifier only; the orchestrator's decisions do not read gates.
                _options.Notifier?.Poke();
                return;
            }

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

        // Refused (no inotify instance left): the safety poll still finds every change, only later.
        return FileWatchers.TryStart(_layout.Root, "*", recursive: true, NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite, Signal);
    }
}
