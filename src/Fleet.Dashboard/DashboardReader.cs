using System.Text;
using Fleet.Gates.Inbox;
using Fleet.Reviews;
using Fleet.Spec;
using Fleet.State;
using Fleet.Trend;
using Fleet.UseCases;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Dashboard;

/// <summary>
/// What the pages show, read through the use cases (<see cref="ReadFleetStatus"/>) and fleet's own readers (the journal's
/// fold, the gate inbox, the trend, the stream renderer): the dashboard has no reading of its own.
/// </summary>
internal sealed class DashboardReader(FleetHost host)
{
    /// <summary>At most this many lines of a worker's readable stream are shown (its end).</summary>
    public const int StreamLines = 400;

    /// <summary>At most this much of the end of a worker's raw stream is read for them.</summary>
    private const int StreamBytes = 2 * 1024 * 1024;

    private readonly ReadFleetStatus _status = new(host);

    public Task<IReadOnlyList<ListedFleet>> ListAsync(CancellationToken cancellationToken) => _status.ListAsync(cancellationToken);

    /// <summary>
    /// The root if it is one of this user's fleets: registered, or a folder a fleet was launched in (a killed fleet leaves
    /// the list but its page stays readable). Anything else is not the dashboard's to read.
    /// </summary>
    public string? KnownRoot(string? root)
    {
        if (string.IsNullOrEmpty(root) || !Path.IsPathFullyQualified(root))
        {
            return null;
        }

        var layout = new FleetLayout(root);
        var real = Fleet.Paths.RealPath.Of(layout.Root);
        return new FleetRegistry(host.UserDirs).List().Any(e => e.Root == layout.Root || e.Root == real) || System.IO.File.Exists(layout.LaunchFile) ? layout.Root : null;
    }

    public async Task<FleetView> FleetAsync(string root, CancellationToken cancellationToken)
    {
        var status = (await _status.RunAsync(new ReadFleetStatusRequest(root, root), cancellationToken)).Status;
        return await Task.Run(() =>
        {
            var layout = new FleetLayout(root);
            var state = FleetRuns.Load(layout);
            var fleet = Launched(layout);
            var current = status.Workers.ToDictionary(w => w.Worker, StringComparer.Ordinal);
            var iterations = state.Workers.GroupBy(w => w.Iteration).Select(g => new IterationView(g.Key, [.. g.OrderBy(w => Order(fleet, w.Worker)).Select(w =>
            {
                var dir = layout.IterationDir(w.Iteration);
                var claim = WorkerClaim.TryRead(dir, w.Worker);
                var line = w.Iteration == Math.Max(1, state.Iteration) ? current.GetValueOrDefault(w.Worker) : null;
                var duration = line?.DurationSeconds ?? (w.StartedAt is { } s && w.EndedAt is { } e ? (e - s).TotalSeconds : null);
                return new WorkerRow(w.Worker, line?.State ?? w.Status.ToString().ToLowerInvariant(), duration, w.CostUsd, claim?.AgentPid ?? claim?.ShimPid,
                    ModelOf(fleet, w.Worker), w.Reason);
            })])).ToList();
            IReadOnlyList<TrendRow> trend;
            try
            {
                trend = state.RunId is null ? [] : TrendReport.Build(root, TimeSpan.FromMinutes(5));
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException)
            {
                trend = [];
            }

            return new FleetView(status, iterations, fleet?.Graph.Layers() ?? [], trend);
        }, cancellationToken);
    }

    /// <summary>A worker's page, or null when no such worker ran in that iteration.</summary>
    public async Task<WorkerView?> WorkerAsync(string root, string worker, int iteration, CancellationToken cancellationToken)
    {
        if (!WorkerLaunchSpec.IsValidWorkerId(worker))
        {
            return null;
        }

        var layout = new FleetLayout(root);
        var state = FleetRuns.Load(layout);
        var fleet = Launched(layout);
        if (state.Workers.All(w => w.Worker != worker) && fleet?.Workers.Any(w => w.Id == worker) != true)
        {
            return null;
        }

        var status = (await _status.RunAsync(new ReadFleetStatusRequest(root, root), cancellationToken)).Status;
        var dir = layout.IterationDir(iteration);
        var ws = state.Worker(worker, iteration);
        var line = iteration == Math.Max(1, state.Iteration) ? status.Workers.FirstOrDefault(w => w.Worker == worker) : null;
        var claim = WorkerClaim.TryRead(dir, worker);
        var (stream, cut) = await StreamAsync(layout, dir, worker, iteration, cancellationToken);
        var steers = Journal.Read(layout.JournalFile).Where(e => e.Type == JournalTypes.WorkerSteered && e.Worker == worker && (e.Iteration is null || e.Iteration == iteration)).ToList();
        var reviewFile = layout.ReviewFile(iteration);
        var review = System.IO.File.Exists(reviewFile) ? ReviewVerdicts.SectionFor(await System.IO.File.ReadAllTextAsync(reviewFile, cancellationToken), worker) : null;
        var prompt = ReadText(layout.TaskPromptFile(iteration, worker)) ?? ReadText(layout.PromptFile(worker));
        return new WorkerView(layout.Root, status.Name, worker, iteration, line?.State ?? ws.Status.ToString().ToLowerInvariant(),
            line?.DurationSeconds ?? (ws.StartedAt is { } s && ws.EndedAt is { } e ? (e - s).TotalSeconds : null), ws.CostUsd,
            claim?.AgentPid ?? claim?.ShimPid, ModelOf(fleet, worker),
            [.. GateInbox.List(layout).Where(g => g.Request.Worker == worker && g.Request.Iteration == iteration)], steers, stream, cut,
            prompt, review, ReadText(layout.LastMessageFile(iteration, worker)), host.Time.GetUtcNow());
    }

    /// <summary>The worker's raw stream made readable by the same renderer as its tmux window.</summary>
    private static async Task<(IReadOnlyList<string> Lines, bool Cut)> StreamAsync(FleetLayout layout, string dir, string worker, int iteration, CancellationToken cancellationToken)
    {
        var log = layout.LogFile(iteration, worker);
        if (!System.IO.File.Exists(log))
        {
            return ([], false);
        }

        WorkerLaunchSpec? spec = null;
        try
        {
            spec = await WorkerLaunchSpec.ReadAsync(Path.Combine(dir, worker + ".spec.json"), cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException or Fleet.Paths.InputFileException)
        {
        }

        var reader = spec is null ? null : WorkerStreams.Create(spec);
        byte[] bytes;
        var cut = false;
        await using (var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (file.Length > StreamBytes)
            {
                file.Seek(-StreamBytes, SeekOrigin.End);
                cut = true;
            }

            bytes = new byte[Math.Min(file.Length, StreamBytes)];
            await file.ReadExactlyAsync(bytes, cancellationToken);
        }

        var lines = new List<string>();
        var span = bytes.AsSpan();
        if (cut && span.IndexOf((byte)'\n') is var first and >= 0)
        {
            span = span[(first + 1)..];
        }

        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)'\n');
            var raw = end < 0 ? span : span[..end];
            span = end < 0 ? [] : span[(end + 1)..];
            if (end < 0 && reader is not null)
            {
                break; // a line still being written
            }

            if (reader is null)
            {
                lines.Add(Encoding.UTF8.GetString(raw));
                continue;
            }

            reader.Accept(raw);
            if (reader.RenderLast(raw) is { } text)
            {
                lines.AddRange(text.Split('\n'));
            }
        }

        if (lines.Count > StreamLines)
        {
            return (lines[^StreamLines..], true);
        }

        return (lines, cut);
    }

    private static ResolvedFleet? Launched(FleetLayout layout)
    {
        try
        {
            return System.IO.File.Exists(layout.LaunchFile) ? LaunchedFleet.Load(layout) : null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return null;
        }
    }

    private static int Order(ResolvedFleet? fleet, string worker) => fleet?.Workers.Select((w, i) => (w, i)).FirstOrDefault(x => x.w.Id == worker).i ?? 0;

    private static string? ModelOf(ResolvedFleet? fleet, string worker) =>
        fleet?.Workers.FirstOrDefault(w => w.Id == worker) is { } w ? w.Provider == Provider.Command ? "command" : $"{w.Provider.ToString().ToLowerInvariant()}{(w.Model is null ? "" : " " + w.Model)}" : null;

    private static string? ReadText(string path)
    {
        try
        {
            return System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
