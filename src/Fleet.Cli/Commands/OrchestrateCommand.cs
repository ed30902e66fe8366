using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.FlightRecorder;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.State;
using Fleet.UseCases;
using Fleet.Validation;
using Fleet.Workers;
using Fleet.Worktrees;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet orchestrate ROOT</c>: the orchestrator process itself, started detached by launch and resume (internal).</summary>
internal static class OrchestrateCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var rehearse = new Option<bool>("--rehearse") { Description = "Host the rehearsal endpoint and point every worker at it." };
        var command = new Command("orchestrate", "Internal: run a launched fleet's orchestrator in this process.") { root, rehearse };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var layout = new FleetLayout(CommandHelpers.Resolve(console, parse.GetValue(root)!));
            var time = TimeProvider.System;
            using var fleetLock = await FleetLock.AcquireAsync(layout, TimeSpan.FromSeconds(2), time, cancellationToken)
                ?? throw new CliException($"another orchestrator holds {FleetLock.PathFor(layout)}");
            var fleet = LaunchedFleet.Load(layout);
            var previous = OrchestratorInfo.TryRead(layout);
            RehearsalServer? server = null;
            if (parse.GetValue(rehearse) || FleetRuns.Load(layout).Rehearsal is not null)
            {
                // Same port as the last orchestrator of this run, so agents that outlived it can still reach it.
                var port = previous?.RehearsalUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.Port : 0;
                var earlier = await RehearsalRequestLog.ReadAsync(layout, cancellationToken);
                // FLEET_REHEARSAL_LISTEN: an address slurm nodes reach (launch checked it); 127.0.0.1 otherwise.
                var listen = RehearsalOptions.ParseListen(console.GetEnvironmentVariable(RehearsalOptions.ListenVariable)) ?? System.Net.IPAddress.Loopback;
                server = await StartRehearsalAsync(new RehearsalOptions { Port = port, Listen = listen, Script = LaunchChecks.RehearsalScript(fleet), Log = RehearsalRequestLog.Appender(layout), Earlier = earlier }, cancellationToken);
            }

            await using (server)
            {
                var self = ProcessIdentity.TryCapture(Environment.ProcessId);
                var info = new OrchestratorInfo(Environment.ProcessId, self?.StartTime ?? 0, time.GetUtcNow(), Path.Combine(layout.StateDir, FleetRuns.LaunchLog), server?.BaseUrl.ToString());
                await WriteInfoAsync(layout, info, cancellationToken);
                var mode = FleetRuns.Load(layout).SpawnMode == "tmux" ? TmuxPreference.Always : TmuxPreference.Never;
                var spawner = await LaunchChecks.SpawnerAsync(CommandHelpers.Host(console), mode, cancellationToken);
                var dirs = new Paths.UserDirs(console.GetEnvironmentVariable);
                await using var recorder = FleetRunRecorder.ForUser(dirs, time);
                Action<string> log = line => console.Out.WriteLine($"{time.GetLocalNow().ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                await using var notifier = StartNotifier(console, layout, fleet, dirs, http, time, log);
                var slurm = fleet.Workers.Any(w => w.Placement == WorkerPlacement.Slurm) ? new Placement.SlurmClient(time) : null;
                var orchestrator = new Orchestrator(new OrchestratorOptions
                {
                    Fleet = fleet,
                    Spawner = spawner.Spawner,
                    SlurmSpawner = slurm is null ? null : new SlurmSpawner(fleet, SelfCommand.Argv(console), slurm, time),
                    Slurm = slurm,
                    Workspace = fleet.Type == FleetType.Worktree ? new WorktreeWorkspace(fleet) : null,
                    FleetCommand = SelfCommand.Argv(console),
                    WorkerOptions = new WorkerRunOptions(server?.BaseUrl, ToolSearchDirs: LaunchChecks.ToolSearchDirs(CommandHelpers.Host(console), layout.Root), NoMemory: FleetRuns.Load(layout).NoMemory),
                    Time = time,
                    Recorder = recorder,
                    LimitPolicy = LimitPolicyFor(console),
                    Log = log,
                    Notifier = notifier,
                });
                var outcome = await orchestrator.RunAsync(cancellationToken);
                if (notifier is not null)
                {
                    await notifier.StopAsync(NotifyGrace);
                }

                await RecordGatesAsync(console, recorder, layout, cancellationToken);
                await console.Out.WriteLineAsync($"{outcome.Outcome}: {outcome.Reason}");
                return outcome.ExitCode;
            }
        });
        return command;
    }

    /// <summary>How long a stopping orchestrator keeps trying to deliver what is still queued.</summary>
    private static readonly TimeSpan NotifyGrace = TimeSpan.FromSeconds(10);

    /// <summary>The run's notifier, or null when no channel is configured (fleet.json's notify over the user's notify.json).</summary>
    private static Fleet.Notifications.Notifier? StartNotifier(ICliConsole console, FleetLayout layout, ResolvedFleet fleet, Paths.UserDirs dirs, HttpClient http, TimeProvider time, Action<string> log)
    {
        var (settings, problems) = Fleet.Notifications.NotifySettings.Resolve(fleet.Notify, dirs);
        foreach (var problem in problems)
        {
            log(problem);
        }

        var channels = Fleet.Notifications.NotifyChannels.From(settings, console.GetEnvironmentVariable("PATH"), http, log);
        if (channels.Count == 0)
        {
            return null;
        }

        log($"notify: {string.Join(", ", channels.Select(c => c.Display))}");
        return Fleet.Notifications.Notifier.Start(new Fleet.Notifications.NotifierOptions
        {
            Layout = layout,
            FleetName = fleet.Name,
            Channels = channels,
            Dashboard = () => Paths.DashboardAddress.Read(dirs)?.FleetPage(layout.Root),
            Time = time,
            Log = log,
            FirstRetry = RetrySeconds(console) is { } first ? TimeSpan.FromSeconds(first) : TimeSpan.FromSeconds(1),
        });
    }

    /// <summary><c>FLEET_NOTIFY_RETRY_SECONDS</c>: the first wait before a failed delivery is tried again (tests keep it short).</summary>
    private static double? RetrySeconds(ICliConsole console) =>
        double.TryParse(console.GetEnvironmentVariable("FLEET_NOTIFY_RETRY_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : null;

    /// <summary>The run's gates into the flight recorder as the orchestrator stops; a failure is reported, never fatal.</summary>
    private static async Task RecordGatesAsync(ICliConsole console, FleetRunRecorder recorder, FleetLayout layout, CancellationToken cancellationToken)
    {
        try
        {
            await recorder.RecordGatesAsync(layout.Root, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException)
        {
            await console.Out.WriteLineAsync($"telemetry: could not record the run's gates: {e.Message}");
        }
    }

    private static async Task<RehearsalServer> StartRehearsalAsync(RehearsalOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await RehearsalServer.StartAsync(options, cancellationToken);
        }
        catch (IOException) when (options.Port != 0)
        {
            return await RehearsalServer.StartAsync(options with { Port = 0 }, cancellationToken);
        }
    }

    /// <summary>
    /// The limit waits; <c>FLEET_LIMIT_BACKOFF_SECONDS</c> sets the first backoff after a rate limit or overload
    /// that names no reset (tests and rehearsals keep it short).
    /// </summary>
    private static Fleet.Limits.LimitPolicy LimitPolicyFor(ICliConsole console) =>
        double.TryParse(console.GetEnvironmentVariable("FLEET_LIMIT_BACKOFF_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? Fleet.Limits.LimitPolicy.Default with { BackoffBase = TimeSpan.FromSeconds(seconds) }
            : Fleet.Limits.LimitPolicy.Default;

    internal static async Task WriteInfoAsync(FleetLayout layout, OrchestratorInfo info, CancellationToken cancellationToken)
    {
        var path = OrchestratorInfo.PathFor(layout);
        var temp = path + ".tmp";
        await PrivateFiles.WriteAllTextAsync(temp, System.Text.Json.JsonSerializer.Serialize(info, OrchestrationJson.Info), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }
}
