using System.Globalization;
using System.Text;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Processes;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Spawning;

/// <summary>
/// A fleet root in a temp folder, worker specs whose fake agents wait on gate files, and a private tmux
/// socket (<c>-L fleet-test-…</c>, no config file): tests never touch a person's tmux server. Disposing opens
/// every gate, ends the tmux server and kills any process still running from this root.
/// </summary>
internal sealed class SpawnWorld : IAsyncDisposable
{
    public const string FleetName = "demo";

    private readonly TempDir _dir = new("fleet-spawn-");

    public SpawnWorld()
    {
        Socket = "fleet-test-" + Guid.NewGuid().ToString("N")[..12];
        Server = new TmuxServer("tmux", Socket, "/dev/null");
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Root => _dir.Path;

    public string Socket { get; }

    public TmuxServer Server { get; }

    public TmuxSession Session => new(Server, TmuxSession.NameFor(FleetName, Root));

    public TmuxSpawner TmuxSpawner() => new(Socket, "tmux", "/dev/null");

    public string Combine(params string[] parts) => _dir.Combine(parts);

    public string Gate(string worker, int iteration = 1) => _dir.Combine("gates", $"{worker}.{iteration}");

    public WorkerFiles Files(string worker, int iteration = 1) => WorkerFiles.For(_dir.Combine("iterations", iteration.ToString(CultureInfo.InvariantCulture)), worker);

    public string ShimLog(string worker, int iteration = 1) => _dir.Combine("iterations", iteration.ToString(CultureInfo.InvariantCulture), worker + ".shim.log");

    /// <summary>A spawn request whose shim runs a fake agent: it says hello, waits for its gate, then exits 3.</summary>
    public async Task<SpawnRequest> GatedRequestAsync(string worker, int iteration = 1) =>
        await RequestAsync(worker, iteration, FakeAgent.Argv("echo", $"hello from {worker}", "wait-file", Gate(worker, iteration), "exit", "3"));

    public async Task<SpawnRequest> RequestAsync(string worker, int iteration, string[] agentArgv)
    {
        Directory.CreateDirectory(_dir.Combine("gates"));
        var spec = new WorkerLaunchSpec
        {
            Worker = worker,
            Iteration = iteration,
            IterationDir = _dir.Combine("iterations", iteration.ToString(CultureInfo.InvariantCulture)),
            Argv = agentArgv,
            WorkingDirectory = Root,
        };
        var specPath = _dir.Combine("specs", $"{worker}.{iteration}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(specPath)!);
        await spec.WriteAsync(specPath, Ct).DefaultTimeout();
        return new SpawnRequest(FleetName, Root, worker, iteration, FakeAgent.Argv("shim", specPath), ShimLog(worker, iteration));
    }

    public void Open(string worker, int iteration = 1) => File.WriteAllText(Gate(worker, iteration), "go");

    public async Task<WorkerExitRecord> ExitRecordAsync(string worker, int iteration = 1)
    {
        var path = Files(worker, iteration).ExitJson;
        await Eventually.TrueAsync(() => File.Exists(path), $"{path} exists");
        return await WorkerExitRecord.ReadAsync(path, Ct).DefaultTimeout();
    }

    /// <summary>The live processes whose argv has an element containing <paramref name="text"/>.</summary>
    public static IReadOnlyList<ProcStat> ProcessesWithArgument(string text)
    {
        var found = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var argv = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline"))).Split('\0');
                if (argv.Any(a => a.Contains(text, StringComparison.Ordinal)) && ProcStat.TryRead(pid) is { HasEnded: false } stat)
                {
                    found.Add(stat);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>The shim process (fake-agent shim SPEC) of a worker: not the setsid wrapper, not the agent.</summary>
    public async Task<ProcStat> ShimProcessAsync(string worker, int iteration = 1)
    {
        var spec = _dir.Combine("specs", $"{worker}.{iteration}.json");
        ProcStat? shim = null;
        await Eventually.TrueAsync(
            () => (shim = ProcessesWithArgument(spec).FirstOrDefault(p => p.Command.StartsWith("fake-agent", StringComparison.Ordinal))) is not null,
            $"the shim of {worker} runs");
        return shim!;
    }

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(_dir.Combine("gates")))
        {
            foreach (var spec in Directory.EnumerateFiles(_dir.Combine("specs")))
            {
                var name = Path.GetFileNameWithoutExtension(spec);
                File.WriteAllText(_dir.Combine("gates", name), "go");
            }
        }

        await Server.KillServerAsync(CancellationToken.None);

        // Whatever still runs from this root (a shim, an agent, a sleep) goes now.
        foreach (var stat in ProcessesWithArgument(Root))
        {
            new ProcessIdentity(stat.Pid, stat.StartTime).Signal(UnixSignal.SIGKILL);
        }

        _dir.Dispose();
    }
}
