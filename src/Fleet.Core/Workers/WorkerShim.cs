using System.Globalization;
using System.Text;
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
}

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
    /// <exception cref="InvalidOperationException">exit.json already exists: a (worker, iteration) runs once.</exception>
    public static async Task<WorkerExitRecord> RunAsync(WorkerLaunchSpec spec, WorkerShimOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        spec.Validate();

        // Beside the claim and the agent's start, not after the exit: the record's serialization then runs compiled
        // code when the agent ends, even an agent that ends at once. In a reused shim it is already warm and costs microseconds.
        _ = Task.Run(WorkerExitRecord.WarmUp, CancellationToken.None);
        Directory.CreateDirectory(spec.IterationDir);
        var files = WorkerFiles.For(spec.IterationDir, spec.Worker);
        if (File.Exists(files.ExitJson))
        {
            throw new InvalidOperationException($"{files.ExitJson} already exists: worker {spec.Worker} has run iteration {spec.Iteration}.");
        }

        if (!WorkerClaim.TryCreate(spec.IterationDir, spec.Worker, out var claimHandle))
        {
            throw new InvalidOperationException($"{WorkerClaim.PathFor(spec.IterationDir, spec.Worker)} already exists: another shim runs worker {spec.Worker} iteration {spec.Iteration}.");
        }

        await using var claimFile = claimHandle!;
        var self = ProcessIdentity.TryCapture(Environment.ProcessId) ?? new ProcessIdentity(Environment.ProcessId, 0);
        var claim = new WorkerClaim { ShimPid = self.Pid, ShimStartTime = self.StartTime, Attempt = spec.Attempt };
        claim.Write(claimFile);
        options.OnClaimed?.Invoke();

        var reader = (options.ReaderFactory ?? DefaultReader)(spec);
        var view = new View(options.View, options.Renderer);
        using var control = spec.PromptOnStdin is null ? null : new ClaudeControl(spec, options.TimeProvider, view.Note);
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
            Environment = spec.Environment ?? new Dictionary<string, string?>(),
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

        view.Note($"[fleet] {spec.Worker} iteration {spec.Iteration}: {string.Join(' ', spec.Argv)}{(control is null ? string.Empty : " (brief on stdin)")}");
        WorkerExitRecord record;
        AgentProcess agent;
        try
        {
            agent = await AgentProcess.StartAsync(agentOptions, cancellationToken);
            claim = claim with { AgentPid = agent.Pid, AgentStartTime = agent.Identity.StartTime, AgentStartedAt = agent.StartedAt };
            claim.Write(claimFile);
            if (control is not null)
            {
                control.Attach(agent.StandardInput!);
                await control.SendPromptAsync(CancellationToken.None);
            }
        }
        catch (AgentStartException e)
        {
            if (control is not null)
            {
                await control.CompleteAsync();
            }

            var now = options.TimeProvider.GetUtcNow();
            record = new WorkerExitRecord
            {
                Worker = spec.Worker,
                Iteration = spec.Iteration,
                StartedAt = now,
                EndedAt = now,
                Outcome = WorkerOutcome.Failed,
                IsError = true,
                Error = e.Message,
            };
            await FinishAsync(record, files, view);
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

        lines.Complete();
        if (control is not null)
        {
            await control.CompleteAsync();
        }

        record = BuildRecord(spec, agent.Pid, result, reader.Summary, recording.First);
        if (record.Outcome == WorkerOutcome.Limited)
        {
            // Not the worker's outcome yet: the orchestrator continues the session after the reset.
            files = files with { ExitJson = WorkerFiles.LimitedExitJson(spec.IterationDir, spec.Worker, spec.Attempt ?? 1) };
        }

        await FinishAsync(record, files, view);
        return record;
    }

    private static async Task FinishAsync(WorkerExitRecord record, WorkerFiles files, View view)
    {
        // Not cancellable: once the agent has ended, its record must be written whatever else happens.
        await record.WriteAtomicallyAsync(files.ExitJson, CancellationToken.None);
        var how = record.Signal ?? (record.ExitCode is { } code ? "exit code " + code.ToString(CultureInfo.InvariantCulture) : "not started");
        view.Note($"[fleet] {record.Worker} iteration {record.Iteration} {record.Outcome.ToString().ToLowerInvariant()} ({how}){(record.Error is null ? string.Empty : ": " + record.Error)}");
    }

    private static WorkerExitRecord BuildRecord(WorkerLaunchSpec spec, int pid, AgentProcessResult result, AgentStreamSummary summary, string? recordingFault)
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

    private static FileStream OpenAppend(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Append,
        Access = FileAccess.Write,

        // Others tail the logs while we write; no buffering so they see every chunk as soon as it is read.
        Share = FileShare.ReadWrite | FileShare.Delete,
        BufferSize = 0,
    });

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
