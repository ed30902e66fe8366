using System.ComponentModel;
using System.Diagnostics;
using Fleet.Processes;

namespace Fleet.Orchestration.Spawning;

/// <summary>
/// Starts each worker shim as a daemon: <c>setsid -f sh -c SCRIPT SHIM…</c>, where SCRIPT is the constant
/// <see cref="Script"/>. The shim's argv travels as arguments (<c>"$0" "$@"</c>), never inside a string;
/// the log path travels in the environment (<c>FLEET_SHIM_LOG</c>), removed before the shim starts.
/// <list type="bullet">
/// <item><c>setsid -f</c> always forks: the shim is not our child (the runtime neither waits on it nor reaps
/// it), its parent is gone at once, and it leads a session and process group of its own with no controlling
/// terminal: no Ctrl+C typed at the orchestrator's terminal and no hang-up reaches it.</item>
/// <item><c>sh</c> points stdin at /dev/null and stdout/stderr at the shim log <em>before</em> <c>exec</c>,
/// so no descriptor of ours (pipe or terminal) survives in the shim: <c>$(fleet launch …)</c> never waits on a
/// worker. Managed code cannot re-point fds 0–2 between fork and exec, hence the shell.</item>
/// <item>We read setsid's own stdout and stderr to their end: the end comes when <c>sh</c> has replaced them
/// (at its <c>exec</c>), so errors of setsid or of the redirection (an unwritable log) are reported here.
/// After that nothing of ours is attached to the shim.</item>
/// <item>Descriptors this process inherited without close-on-exec are marked close-on-exec first
/// (<see cref="InheritedDescriptors"/>), so the shim holds none of them either.</item>
/// </list>
/// </summary>
public sealed class BackgroundSpawner : IWorkerSpawner
{
    /// <summary>The constant script run by <c>sh -c</c>; the shim's argv is <c>$0 $@</c>.</summary>
    public const string Script = "log=$FLEET_SHIM_LOG; unset FLEET_SHIM_LOG; exec \"$0\" \"$@\" </dev/null >>\"$log\" 2>&1";

    public const string LogVariable = "FLEET_SHIM_LOG";

    /// <summary>How long setsid and sh may take to hand over; far more than they need.</summary>
    public static readonly TimeSpan HandOverTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _timeProvider;

    public BackgroundSpawner(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public async Task<SpawnedWorker> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ShimArgv.Count == 0)
        {
            throw new ArgumentException("The shim argv is empty.", nameof(request));
        }

        if (!Path.IsPathFullyQualified(request.ShimLog))
        {
            throw new ArgumentException($"The shim log must be an absolute path: {request.ShimLog}", nameof(request));
        }

        string shim;
        try
        {
            shim = ExecutableResolver.Resolve(request.ShimArgv[0], request.Root, Environment.GetEnvironmentVariable("PATH"));
        }
        catch (AgentStartException e)
        {
            throw new WorkerSpawnException($"cannot start worker {request.Worker}: {e.Message}", e);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(request.ShimLog)!);
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = request.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["-f", "sh", "-c", Script, shim, .. request.ShimArgv.Skip(1)])
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment[LogVariable] = request.ShimLog;

        cancellationToken.ThrowIfCancellationRequested();
        InheritedDescriptors.MarkCloseOnExec();
        using var setsid = new Process { StartInfo = psi };
        try
        {
            setsid.Start();
        }
        catch (Win32Exception e)
        {
            throw new WorkerSpawnException($"cannot start worker {request.Worker}: setsid (util-linux) is missing: {e.Message}. Install it with: sudo apt-get install util-linux", e);
        }

        setsid.StandardInput.Close();

        // Not cancellable once started: the shim may already run, and the caller must hear that it did.
        using var deadline = new CancellationTokenSource(HandOverTimeout, _timeProvider);
        var stdout = setsid.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = setsid.StandardError.ReadToEndAsync(deadline.Token);
        string errors;
        try
        {
            await setsid.WaitForExitAsync(deadline.Token);
            errors = ((await stdout) + (await stderr)).Trim();
        }
        catch (OperationCanceledException)
        {
            // Something kept the pipes open past the deadline. The shim may be running: report it as started.
            return new SpawnedWorker("background", request.ShimLog);
        }

        if (setsid.ExitCode != 0 || errors.Length > 0)
        {
            throw new WorkerSpawnException($"cannot start worker {request.Worker} in the background (setsid exit {setsid.ExitCode}): {(errors.Length > 0 ? errors : "no message")}");
        }

        return new SpawnedWorker("background", request.ShimLog);
    }
}
