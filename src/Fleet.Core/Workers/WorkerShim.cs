using System.Globalization;
using System.Text;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.Streams;

namespace Fleet.Workers;

/// <summary>Turns one raw stdout line into a line of the readable view; null shows nothing for it.</summary>
public delegate string? LineRenderer(ReadOnlySpan<byte> line);

/// <summary>What the shim needs besides the spec: the parts that are code, not data.</summary>
public sealed record WorkerShimOptions
{
    /// <summary>
    /// Picks the stream reader for <see cref="WorkerLaunchSpec.StreamFormat"/>. The default knows only
    /// <c>plain</c> (<see cref="PlainStreamReader"/>); the CLI passes one that also knows claude and codex.
    /// </summary>
    public Func<WorkerLaunchSpec, IAgentStreamReader>? ReaderFactory { get; init; }

    /// <summary>Renders stdout lines for <see cref="View"/>; null shows them as UTF-8 text.</summary>
    public LineRenderer? Renderer { get; init; }

    /// <summary>The readable view (the shim's stdout, a tmux window); null for none. Write errors switch it off.</summary>
    public TextWriter? View { get; init; }

    /// <summary>Used only when the shim's own token is cancelled (its host is asked to stop).</summary>
    public StopLadder StopLadder { get; init; } = StopLadder.Default;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Called once this shim holds the (worker, iteration): its claim is written, the agent not yet started.</summary>
    public Action? OnClaimed { get; init; }

    /// <summary>
    /// How long the shim keeps trying to write exit.json when it cannot (a read-only root, a full disk). The outcome
    /// is in the claim meanwhile, so the orchestrator knows it either way.
    /// </summary>
    public TimeSpan ExitRecordPatience { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>The shim did not run the (worker, iteration) and claimed nothing: it had run already or another shim holds it.</summary>
public sealed class WorkerRefusedException(string message) : InvalidOperationException(message);

/// <summary>
/// The worker shim: runs one agent for one iteration and writes its files (<see cref="WorkerFiles"/>):
/// stdout verbatim to <c>&lt;id&gt;.log</c>, stderr to <c>&lt;id&gt;.stderr.log</c>, each stdout line to the stream
/// reader, and <c>&lt;id&gt;.exit.json</c> once, atomically, when the agent ends.
/// <para>
/// It is started in its own session by the orchestrator and must outlive it: nothing here depends on the
/// parent. A dead reader of the view (a closed pipe) only switches the view off.
/// </para>
/// </summary>
public static class WorkerShim
{
    private static readonly UnixSignal[] StopSignals =
        [UnixSignal.SIGINT, UnixSignal.SIGTERM, UnixSignal.SIGKILL, UnixSignal.SIGHUP, UnixSignal.SIGQUIT];

    /// <inheritdoc cref="RunAsync(WorkerLaunchSpec, WorkerShimOptions, CancellationToken)"/>
    public static Task<WorkerExitRecord> RunAsync(WorkerLaunchSpec spec, CancellationToken cancellationToken) =>
        RunAsync(spec, new WorkerShimOptions(), cancellationToken);

    /// <summary>
    /// Runs the agent to its end and returns what was written to exit.json. A missing program is an outcome
    /// (<see cref="WorkerOutcome.Failed"/> with the reason), not an exception. Cancelling
    /// <paramref name="cancellationToken"/> stops the agent with the stop ladder and still writes the files.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid.</exception>
    /// <exception cref="WorkerRefusedException">exit.json or the claim already exists: a (worker, iteration) runs once.</exception>
    public static async Task<WorkerExitRecord> RunAsync(WorkerLaunchSpec spec, WorkerShimOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        spec.Validate();

        // Beside the claim and the agent's start, not after the exit: the record's serialization then runs compiled
        // code when the agent ends, even an agent that ends at once. In a reused shim it is already warm and costs microseconds.
        _ = Task.Run(WorkerExitRecord.WarmUp, CancellationToken.None);
        PrivateFiles.CreateDirectory(spec.IterationDir);
        var files = WorkerFiles.For(spec.IterationDir, spec.Worker);
        if (File.Exists(files.ExitJson))
        {
            throw new WorkerRefusedException($"{files.ExitJson} already exists: worker {spec.Worker} has run iteration {spec.Iteration}.");
        }

        if (!WorkerClaim.TryCreate(spec.IterationDir, spec.Worker, out var claimHandle))
        {
            throw new WorkerRefusedException($"{WorkerClaim.PathFor(spec.IterationDir, spec.Worker)} already exists: another shim runs worker {spec.Worker} iteration {spec.Iteration}.");
        }

        await using var claimFile = claimHandle!;
        var self = ProcessIdentity.TryCapture(Environment.ProcessId) ?? new ProcessIdentity(Environment.ProcessId, 0);
        var token = WorkerToken.Create(spec.IterationDir, spec.Worker, spec.Iteration);
        var claimed = new Claimed(claimFile, new WorkerClaim
        {
            ShimPid = self.Pid,
            ShimStartTime = self.StartTime,
            Token = token,
            Attempt = spec.Attempt,
            // Under Slurm the pids name processes of another machine: the job and its node are what identify the run.
            SlurmJobId = Environment.GetEnvironmentVariable("SLURM_JOB_ID"),
            SlurmNode = Environment.GetEnvironmentVariable("SLURMD_NODENAME"),
        });
        claimed.Claim.Write(claimFile);
        options.OnClaimed?.Invoke();
        try
        {
            return await RunClaimedAsync(spec, options, files, claimed, cancellationToken);
        }
        catch (Exception e) when (!claimed.Claim.AgentStarting && e is not OperationCanceledException)
        {
            // Claimed, and no agent started: that is certain, so it is an outcome like a missing program, never "lost".
            var record = NotStarted(spec, options, $"could not start: {e.Message}");
            await FinishAsync(record, files, null, claimed, options);
            return record;
        }
    }

    private static async Task<WorkerExitRecord> RunClaimedAsync(WorkerLaunchSpec spec, WorkerShimOptions options, WorkerFiles files, Claimed claimed, CancellationToken cancellationToken)
    {
        var reader = (options.ReaderFactory ?? DefaultReader)(spec);
        var view = new View(options.View, options.Renderer);
        using IAgentSession? control = spec.CodexSession is not null ? new CodexAppServerControl(spec, options.TimeProvider, view.Note)
            : spec.GeminiSession is not null ? new GeminiAcpControl(spec, options.TimeProvider, view.Note)
            : spec.PromptOnStdin is not null ? new ClaudeControl(spec, options.TimeProvider, view.Note)
            : null;
        var lines = new LineSplitter(line =>
        {
            control?.OnLine(line);
            try
            {
                reader.Accept(line);
            }
#pragma warning disable CA1031 // The contract says readers never throw; if one does, the run must still be recorded.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            view.Show(line);
        });

        await using var log = OpenAppend(files.Log);
        await using var stderrLog = OpenAppend(files.StderrLog);
        var recording = new RecordingFaults();
        var agentOptions = new AgentProcessOptions
        {
            Argv = spec.Argv,
            WorkingDirectory = spec.WorkingDirectory,
            Environment = new Dictionary<string, string?>(spec.Environment ?? new Dictionary<string, string?>()) { [WorkerToken.Variable] = claimed.Claim.Token },
            Stdin = control is null ? StdinMode.Closed : StdinMode.HeldOpen,
            TimeProvider = options.TimeProvider,
            DrainTimeout = spec.DrainTimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(5),
            Stdout = async (chunk, ct) =>
            {
                lines.Feed(chunk.Span);
                await recording.WriteAsync(log, files.Log, chunk, ct);
            },
            Stderr = (chunk, ct) => recording.WriteAsync(stderrLog, files.StderrLog, chunk, ct),
        };

        view.Note($"[fleet] {spec.Worker} iteration {spec.Iteration}: {string.Join(' ', spec.Argv)}{(control is null ? string.Empty : spec.CodexSession is not null ? " (thread and turn over JSON-RPC on stdin)" : spec.GeminiSession is not null ? " (session and prompt over ACP on stdin)" : " (brief on stdin)")}");
        WorkerExitRecord record;
        AgentProcess agent;

        // The agent's input channel for a person's messages, when the run has one (claude's stdin; codex's app-server session).
        IAgentSteering? steering = control;
        SteerLink.SteerListener? steer = null;
        SteerLink.MailboxListener? mailbox = null;

        // From here an agent may be running: a shim that ends without a record leaves "outcome unknown", not "never started".
        claimed.Update(claimed.Claim with { AgentStarting = true }, flushToDisk: false);
        try
        {
            agent = await AgentProcess.StartAsync(agentOptions, cancellationToken);
            claimed.Update(claimed.Claim with { AgentPid = agent.Pid, AgentStartTime = agent.Identity.StartTime, AgentStartedAt = agent.StartedAt });
            if (control is not null)
            {
                control.Attach(agent.StandardInput!);
                await control.StartAsync(CancellationToken.None);
            }

            if (steering is not null)
            {
                steer = SteerLink.TryListen(claimed.Claim.Token!, steering, options.TimeProvider, view.Note);
                steer?.Start();
                if (claimed.Claim.SlurmJobId is not null)
                {
                    // On a node of its own the socket is out of reach of fleet say: the shared folder carries it.
                    mailbox = new SteerLink.MailboxListener(SteerLink.MailboxDir(spec.IterationDir, spec.Worker), steering, options.TimeProvider);
                    mailbox.Start();
                }
            }
        }
        catch (AgentStartException e)
        {
            if (control is not null)
            {
                await control.CompleteAsync();
            }

            record = NotStarted(spec, options, e.Message);
            await FinishAsync(record, files, view, claimed, options);
            return record;
        }

        AgentProcessResult result;
        await using (agent)
        {
            try
            {
                result = await agent.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                view.Note("[fleet] stopping the agent (the shim was asked to stop)");
                await agent.StopAsync(options.StopLadder, CancellationToken.None);
                result = await agent.WaitAsync(CancellationToken.None);
            }
        }

        if (mailbox is not null)
        {
            await mailbox.DisposeAsync();
        }

        if (steer is not null)
        {
            await steer.DisposeAsync();
        }

        OrphanReaper.ReapOrphans();
        lines.Complete();
        if (control is not null)
        {
            await control.CompleteAsync();
        }

        record = GeminiRunUsage.Apply(BuildRecord(spec, agent.Pid, result, reader.Summary, recording.First, control?.Failure), spec);
        if (record.Outcome == WorkerOutcome.Limited)
        {
            // Not the worker's outcome yet: the orchestrator continues the session after the reset.
            files = files with { ExitJson = WorkerFiles.LimitedExitJson(spec.IterationDir, spec.Worker, spec.Attempt ?? 1) };
        }

        await FinishAsync(record, files, view, claimed, options);
        return record;
    }

    private static WorkerExitRecord NotStarted(WorkerLaunchSpec spec, WorkerShimOptions options, string error)
    {
        var now = options.TimeProvider.GetUtcNow();
        return new WorkerExitRecord
        {
            Worker = spec.Worker,
            Iteration = spec.Iteration,
            StartedAt = now,
            EndedAt = now,
            Outcome = WorkerOutcome.Failed,
            IsError = true,
            Error = error,
        };
    }

    /// <summary>
    /// Records the outcome. Not cancellable: once the agent has ended, its record must be kept whatever else happens.
    /// When exit.json cannot be written, the outcome goes into the claim (through the handle held open since the
    /// claim, which a folder made read-only since does not revoke) and exit.json is tried again for a while.
    /// </summary>
    private static async Task FinishAsync(WorkerExitRecord record, WorkerFiles files, View? view, Claimed claimed, WorkerShimOptions options)
    {
        var how = record.Signal ?? (record.ExitCode is { } code ? "exit code " + code.ToString(CultureInfo.InvariantCulture) : "not started");
        var line = $"[fleet] {record.Worker} iteration {record.Iteration} {record.Outcome.ToString().ToLowerInvariant()} ({how}){(record.Error is null ? string.Empty : ": " + record.Error)}";
        if (TryWriteExitRecord(record, files, out var failure))
        {
            view?.Note(line);
            return;
        }

        var inClaim = claimed.TryUpdate(claimed.Claim with { Exit = record });
        view?.Note(line);
        view?.Note($"[fleet] cannot write {files.ExitJson}: {failure}; {(inClaim ? "the outcome is in the claim" : "the claim could not take the outcome either")}; trying again for {options.ExitRecordPatience.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        var deadline = options.TimeProvider.GetUtcNow() + options.ExitRecordPatience;
        var pause = TimeSpan.FromMilliseconds(100);
        while (options.TimeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(pause, options.TimeProvider, CancellationToken.None);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            if (TryWriteExitRecord(record, files, out failure))
            {
                view?.Note($"[fleet] {files.ExitJson} written");
                return;
            }
        }

        view?.Note($"[fleet] gave up on {files.ExitJson}: {failure}");
    }

    /// <summary>True once exit.json holds an outcome: written now, or already there (the orchestrator copies it from the claim).</summary>
    private static bool TryWriteExitRecord(WorkerExitRecord record, WorkerFiles files, out string? failure)
    {
        try
        {
            record.WriteAtomically(files.ExitJson);
            failure = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = e.Message;
            return File.Exists(files.ExitJson);
        }
    }

    /// <summary>This shim's claim and the handle it was created with; each update replaces the file's content.</summary>
    private sealed class Claimed(FileStream handle, WorkerClaim claim)
    {
        public WorkerClaim Claim { get; private set; } = claim;

        /// <summary>Replaces the claim; <see cref="Claim"/> changes only once the file has (a failed write changes nothing we rely on).</summary>
        public void Update(WorkerClaim next, bool flushToDisk = true)
        {
            next.Write(handle, flushToDisk);
            Claim = next;
        }

        public bool TryUpdate(WorkerClaim next)
        {
            try
            {
                Update(next);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    private static WorkerExitRecord BuildRecord(WorkerLaunchSpec spec, int pid, AgentProcessResult result, AgentStreamSummary summary, string? recordingFault, string? sessionFailure)
    {
        var exit = result.Exit;
        WorkerOutcome outcome;
        string? error;
        var limit = exit.Signal is null ? Fleet.Limits.LimitClassifier.Classify(summary, result.EndedAt, TimeZoneInfo.Local) : null;
        if (exit.Signal is { } signal)
        {
            var stopped = Array.IndexOf(StopSignals, (UnixSignal)signal) >= 0;
            outcome = stopped ? WorkerOutcome.Killed : WorkerOutcome.Failed;
            error = summary.ErrorText ?? (stopped ? $"stopped by {exit.SignalName}" : $"crashed: terminated by {exit.SignalName}");
        }
        else if (sessionFailure is not null)
        {
            // The agent never got its work (a refused handshake): its clean exit is not a success.
            outcome = WorkerOutcome.Failed;
            error = sessionFailure;
        }
        else if (exit.ExitCode == 0 && !summary.IsError)
        {
            outcome = WorkerOutcome.Succeeded;
            error = null;
        }
        else if (limit is not null)
        {
            outcome = WorkerOutcome.Limited;
            error = summary.ErrorText ?? limit.Text;
        }
        else
        {
            outcome = WorkerOutcome.Failed;
            error = summary.ErrorText
                ?? (summary.IsError
                    ? $"the agent's stream reported an error ({summary.ResultKind ?? "no result kind"})"
                    : $"exited with code {exit.ExitCode}");
        }

        if (!result.OutputDrained)
        {
            error = Join(error, "output still open after the agent exited (a background process holds its pipes); reading stopped");
        }

        error = Join(error, recordingFault);
        if (result.OutputError is { } outputError)
        {
            error = Join(error, "reading output failed: " + outputError.Message);
        }

        return new WorkerExitRecord
        {
            Worker = spec.Worker,
            Iteration = spec.Iteration,
            ExitCode = exit.ExitCode,
            Signal = exit.SignalName,
            StartedAt = result.StartedAt,
            EndedAt = result.EndedAt,
            SessionId = summary.SessionId,
            CostUsd = summary.CostUsd,
            Turns = summary.Turns,
            ResultKind = summary.ResultKind,
            Error = error,
            IsError = outcome != WorkerOutcome.Succeeded,
            Outcome = outcome,
            MalformedLines = summary.MalformedLines,
            Pid = pid,
            OutputDrained = result.OutputDrained,
            InputTokens = summary.InputTokens,
            OutputTokens = summary.OutputTokens,
            Reason = outcome == WorkerOutcome.Succeeded ? null : limit is not null ? limit.Name : ReasonOf(summary, exit),
            Model = summary.Model ?? spec.Model,
            CumulativeUsage = summary.CumulativeUsage,
            CumulativeCostUsd = summary.CumulativeCostUsd,
            Attempt = spec.Attempt,
            ResetsAt = limit?.ResetsAt,
        };
    }

    private static string ReasonOf(AgentStreamSummary summary, ProcessExit exit) => summary.Failure switch
    {
        StreamFailure.MaxBudget => "max budget",
        StreamFailure.MaxTurns => "max turns",
        StreamFailure.ApiError => "api error",
        StreamFailure.ExecutionError => "execution error",
        StreamFailure.TurnFailed => "turn failed",
        StreamFailure.StreamError => "stream error",
        StreamFailure.NoResult => "no result",
        _ when exit.Signal is not null => "signal",
        _ => "exit code",
    };

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : first + "; " + second;

    private static PlainStreamReader DefaultReader(WorkerLaunchSpec spec) =>
        spec.StreamFormat == WorkerStreamFormats.Plain
            ? new PlainStreamReader()
            : throw new InvalidOperationException($"No stream reader for stream_format '{spec.StreamFormat}': pass WorkerShimOptions.ReaderFactory.");

    // Others tail the logs while we write; no buffering so they see every chunk as soon as it is read.
    private static FileStream OpenAppend(string path) =>
        PrivateFiles.Open(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    /// <summary>Keeps the first failure to write a log; later chunks are still tried (the disk may recover).</summary>
    private sealed class RecordingFaults
    {
        private string? _first;

        public string? First => _first;

        public async ValueTask WriteAsync(FileStream file, string path, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
        {
            try
            {
                await file.WriteAsync(chunk, cancellationToken);
            }
            catch (IOException e)
            {
                Interlocked.CompareExchange(ref _first, $"writing {path} failed: {e.Message}", null);
            }
        }
    }

    /// <summary>The readable view; the first write error (e.g. the window or pipe is gone) switches it off for good.</summary>
    private sealed class View(TextWriter? writer, LineRenderer? renderer)
    {
        private readonly Lock _lock = new();
        private TextWriter? _writer = writer;

        public void Show(ReadOnlySpan<byte> line)
        {
            if (_writer is null)
            {
                return;
            }

            string? text;
            try
            {
                text = renderer is null ? Encoding.UTF8.GetString(line) : renderer(line);
            }
#pragma warning disable CA1031 // A renderer bug must not cost the run its record.
            catch (Exception)
#pragma warning restore CA1031
            {
                return;
            }

            if (text is not null)
            {
                Note(text);
            }
        }

        /// <summary>Writes one line; gates write from their own tasks, so lines are written under a lock.</summary>
        public void Note(string text)
        {
            lock (_lock)
            {
                if (_writer is null)
                {
                    return;
                }

                try
                {
                    _writer.WriteLine(text);
                    _writer.Flush();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    _writer = null;
                }
            }
        }
    }
}
