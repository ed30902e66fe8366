using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;

namespace Fleet.Processes;

/// <summary>
/// One running agent, started as <c>setsid env --default-signal=PIPE,INT,TERM &lt;argv…&gt;</c>:
/// <list type="bullet">
/// <item><c>setsid</c> makes it the leader of its own session and process group (both exec in place, so
/// <see cref="Pid"/> is the agent and its pgid), so Ctrl+C in our terminal does not reach it and
/// <see cref="ProcessGroup"/> signals reach everything it forks.</item>
/// <item><c>env --default-signal=PIPE,INT,TERM</c> undoes the SIGPIPE-ignored disposition every .NET child inherits, and a
/// SIGINT or SIGTERM ignored by whoever started fleet (a script's background job), so the stop ladder reaches the agent.</item>
/// <item>stdout and stderr are read from the start, concurrently, so neither pipe can fill and block the agent.</item>
/// <item>"exited" (<see cref="Exited"/>) and "output drained" (<see cref="WaitAsync"/>) are separate: a grandchild
/// may hold the pipes open long after the agent is gone, so reading stops <see cref="AgentProcessOptions.DrainTimeout"/>
/// after the exit.</item>
/// </list>
/// Disposing does not stop the agent (only a person stops agents), but it closes our ends of its pipes.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private static readonly TimeSpan GroupCheckTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WaitStatusGrace = TimeSpan.FromSeconds(1);

    private readonly Process _process;
    private readonly AgentProcessOptions _options;
    private readonly TaskCompletionSource<ProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RawWaitStatus?> _waitStatus = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _readCts = new();
    private readonly Lock _sentLock = new();
    private readonly HashSet<int> _sentSignals = [];
    private Task<AgentProcessResult>? _completion;
    private Task _stdoutPump = Task.CompletedTask;
    private Task _stderrPump = Task.CompletedTask;
    private Exception? _outputError;

    private AgentProcess(Process process, AgentProcessOptions options, DateTimeOffset startedAt)
    {
        _process = process;
        _options = options;
        StartedAt = startedAt;
    }

    /// <summary>The agent's pid; also its process group id and session id when <see cref="IsGroupLeader"/>.</summary>
    public int Pid { get; private set; }

    /// <summary>Pid plus start time, for a registry that must never trust a bare pid.</summary>
    public ProcessIdentity Identity { get; private set; } = new(0, 0);

    /// <summary>True when <c>getpgid(pid) == pid</c> was seen. If not, signals go to the pid alone (and SIGKILL to its tree).</summary>
    public bool IsGroupLeader { get; private set; }

    /// <summary>Just before the process was started, from the injected clock.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The agent's stdin when started with <see cref="StdinMode.HeldOpen"/>; null otherwise.</summary>
    public Stream? StandardInput { get; private set; }

    /// <summary>Completes when the process ends (its output may still be draining).</summary>
    public Task<ProcessExit> Exited => _exited.Task;

    /// <summary>
    /// Starts the agent. Throws <see cref="AgentStartException"/> with an actionable message when the program or the
    /// working directory is missing.
    /// </summary>
    public static async Task<AgentProcess> StartAsync(AgentProcessOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (options.Argv.Count == 0)
        {
            throw new AgentStartException("Cannot start an agent with an empty argv.");
        }

        var workingDirectory = options.WorkingDirectory ?? Directory.GetCurrentDirectory();
        if (!Directory.Exists(workingDirectory))
        {
            throw new AgentStartException($"Cannot start agent '{options.Argv[0]}': working directory {workingDirectory} does not exist.");
        }

        var psi = new ProcessStartInfo
        {
            FileName = "setsid",
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        EnvironmentChanges.ApplyTo(psi, options.Environment);

        psi.Environment.TryGetValue("PATH", out var path);
        var program = ExecutableResolver.Resolve(options.Argv[0], workingDirectory, path);
        if (options.RestoreDefaultSignals)
        {
            if (program.Contains('=', StringComparison.Ordinal))
            {
                // env(1) would take it for a NAME=VALUE assignment.
                throw new AgentStartException($"Cannot start agent '{options.Argv[0]}': its path {program} contains '=', which env(1) reads as an assignment.");
            }

            psi.ArgumentList.Add("env");
            psi.ArgumentList.Add("--default-signal=PIPE,INT,TERM");
        }

        psi.ArgumentList.Add(program);
        for (var i = 1; i < options.Argv.Count; i++)
        {
            psi.ArgumentList.Add(options.Argv[i]);
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var agent = new AgentProcess(process, options, options.TimeProvider.GetUtcNow());
        process.Exited += (_, _) => agent.OnExited();
        try
        {
            OrphanReaper.StartChild(() =>
            {
                process.Start();
                return process.Id;
            });
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new AgentStartException($"Cannot start agent '{options.Argv[0]}': running setsid(1) failed ({e.Message}). Is util-linux installed?", e);
        }

        agent.Pid = process.Id;
        agent.StartWaitStatusReader();
        agent.StartPumps();
        agent.Identity = ProcessIdentity.TryCapture(agent.Pid) ?? new ProcessIdentity(agent.Pid, 0);
        agent.IsGroupLeader = await WaitForGroupLeadershipAsync(agent.Pid, cancellationToken);
        agent._completion = agent.CompleteAsync();
        return agent;
    }

    /// <summary>Waits for the exit and for the output to drain (or the drain deadline). Cancelling stops the wait, not the agent.</summary>
    public Task<AgentProcessResult> WaitAsync(CancellationToken cancellationToken) =>
        _completion!.WaitAsync(cancellationToken);

    /// <summary>Sends <paramref name="signal"/> to the agent's whole process group.</summary>
    public SignalResult Signal(UnixSignal signal)
    {
        lock (_sentLock)
        {
            _sentSignals.Add((int)signal);
        }

        if (IsGroupLeader)
        {
            return ProcessGroup.Signal(Pid, signal);
        }

        if (signal == UnixSignal.SIGKILL)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                return SignalResult.Delivered;
            }
            catch (InvalidOperationException)
            {
                return SignalResult.NotFound;
            }
        }

        return Identity.Signal(signal);
    }

    /// <summary>
    /// The stop ladder on the agent's group (SIGINT, SIGTERM, SIGKILL with the ladder's graces). For a person's
    /// stop only: the orchestrator never stops agents.
    /// </summary>
    public async Task<StopOutcome> StopAsync(StopLadder ladder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        if (!IsGroupLeader)
        {
            Signal(UnixSignal.SIGKILL);
            return StopOutcome.StoppedByKill;
        }

        lock (_sentLock)
        {
            // Any of the three may be the one that ends it; record them for the 128+n fallback.
            _sentSignals.UnionWith([(int)UnixSignal.SIGINT, (int)UnixSignal.SIGTERM, (int)UnixSignal.SIGKILL]);
        }

        return await ProcessGroup.StopAsync(Pid, ladder, _options.TimeProvider, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _readCts.CancelAsync();
        try
        {
            await Task.WhenAll(_stdoutPump, _stderrPump);
        }
        catch (OperationCanceledException)
        {
        }

        if (StandardInput is { } stdin)
        {
            await DisposeQuietlyAsync(stdin);
        }

        _process.Dispose();
        _readCts.Dispose();
    }

    private static async Task<bool> WaitForGroupLeadershipAsync(int pid, CancellationToken cancellationToken)
    {
        // Process.Start returns once setsid(1) has been exec'd; it calls setsid(2) a moment later. Look until it has.
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var pgid = NativeMethods.GetProcessGroup(pid);
            if (pgid == pid)
            {
                return true;
            }

            if (pgid < 0)
            {
                // Gone already. setsid(1) calls setsid(2) before exec'ing anything, so it led its group.
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) > GroupCheckTimeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken);
        }
    }

    private static async ValueTask DisposeQuietlyAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync();
        }
        catch (IOException)
        {
            // The agent closed its end first; nothing left to flush.
        }
    }

    private void StartWaitStatusReader()
    {
        // The runtime reaps the child on SIGCHLD and folds a death by signal n into ExitCode 128+n. A waitid(WNOWAIT)
        // blocked on this thread is woken by the same exit and reads the true status if it runs before the runtime
        // reaps. It is a race, and on this 2-core machine it was lost in about 1 run of 3 for a SIGKILL, so the
        // fallback matters (ExitStatusSource.InferredFromExitCode). Only spawning without Process (posix_spawn with
        // POSIX_SPAWN_SETSID, reaping ourselves) would make it exact.
        var pid = Pid;
        var thread = new Thread(() =>
        {
            try
            {
                _waitStatus.TrySetResult(NativeMethods.WaitForExitStatusNoReap(pid));
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _waitStatus.TrySetResult(null);
            }
        })
        {
            IsBackground = true,
            Name = $"waitid {pid}",
        };
        thread.Start();
    }

    private void StartPumps()
    {
        var stdin = _process.StandardInput.BaseStream;
        if (_options.Stdin == StdinMode.HeldOpen)
        {
            StandardInput = stdin;
        }
        else
        {
            stdin.Dispose();
        }

        _stdoutPump = PumpAsync(_process.StandardOutput.BaseStream, _options.Stdout, _readCts.Token);
        _stderrPump = PumpAsync(_process.StandardError.BaseStream, _options.Stderr, _readCts.Token);
    }

    private async Task PumpAsync(Stream source, OutputSink? sink, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(buffer, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (IOException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                if (read == 0)
                {
                    return;
                }

                if (sink is null || _outputError is not null)
                {
                    continue;
                }

                try
                {
                    await sink(buffer.AsMemory(0, read), cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // Keep reading (and discarding): a pipe nobody reads blocks the agent.
                    Interlocked.CompareExchange(ref _outputError, e, null);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await DisposeQuietlyAsync(source);
        }
    }

    private void OnExited()
    {
        OrphanReaper.Forget(_process.Id);
        var exitedAt = _options.TimeProvider.GetUtcNow();
        _ = RecordExitAsync(exitedAt);
    }

    private async Task RecordExitAsync(DateTimeOffset exitedAt)
    {
        var runtimeCode = _process.ExitCode;
        RawWaitStatus? status;
        try
        {
            status = await _waitStatus.Task.WaitAsync(WaitStatusGrace);
        }
        catch (TimeoutException)
        {
            status = null;
        }

        _exited.TrySetResult(Interpret(runtimeCode, status, exitedAt));
    }

    private ProcessExit Interpret(int runtimeCode, RawWaitStatus? status, DateTimeOffset exitedAt)
    {
        lock (_sentLock)
        {
            return ProcessExit.From(runtimeCode, status, _sentSignals.ToHashSet(), exitedAt);
        }
    }

    private async Task<AgentProcessResult> CompleteAsync()
    {
        var exit = await _exited.Task;
        var pumps = Task.WhenAll(_stdoutPump, _stderrPump);
        var drained = true;
        try
        {
            await pumps.WaitAsync(_options.DrainTimeout, _options.TimeProvider);
        }
        catch (TimeoutException)
        {
            drained = false;
            await _readCts.CancelAsync();
            await pumps;
        }

        return new AgentProcessResult(exit, StartedAt, drained, _outputError);
    }
}
