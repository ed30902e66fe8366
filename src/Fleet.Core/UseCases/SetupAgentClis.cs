using System.Globalization;
using System.Text.Json;
using Fleet.Orchestration.Spawning;
using Fleet.Processes;
using Fleet.Rehearsal;
using Fleet.Setup;

namespace Fleet.UseCases;

/// <summary>One pinned CLI after <c>fleet setup</c>.</summary>
/// <param name="Pin">The package, its version, its command.</param>
/// <param name="Path">The command's full path in the tools folder.</param>
/// <param name="Installed">True when this run installed it; false when it was already there at the pinned version.</param>
public sealed record SetupTool(NpmPin Pin, string Path, bool Installed);

/// <summary>What <c>fleet setup</c> did.</summary>
/// <param name="ToolsDir">The npm prefix the CLIs are in (<see cref="Paths.UserDirs.ToolsDir"/>).</param>
/// <param name="Bin">The folder fleet finds them in.</param>
/// <param name="Log">npm's output; null when nothing had to be installed.</param>
public sealed record SetupResult(string ToolsDir, string Bin, string? Log, IReadOnlyList<SetupTool> Tools);

/// <summary>
/// <c>fleet setup</c>: installs the pinned agent CLIs (<see cref="AgentCliPins"/>) with npm into the user's tools folder,
/// which <see cref="AgentCliLocator"/> searches, so a fleet installed as a tool needs no source checkout.
/// </summary>
public sealed class SetupAgentClis(FleetHost host)
{
    /// <summary>npm fetches two packages with their native parts; a slow mirror takes minutes, a hung one is cut here.</summary>
    public static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(20);

    /// <summary>How often a running npm is reported as still running.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(15);

    private const int TailLines = 25;

    /// <summary>Installs what is missing or at another version; reports each step to <paramref name="progress"/>.</summary>
    /// <exception cref="FleetOperationException">npm missing (exit 2), or npm failed (exit 1, with the tail of its log).</exception>
    public async Task<SetupResult> RunAsync(IReadOnlyList<NpmPin> pins, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pins);
        ArgumentNullException.ThrowIfNull(progress);
        var path = host.GetEnvironmentVariable("PATH");
        var npm = ToolProbe.FindOnPath("npm", path)
            ?? throw new FleetOperationException(
                "npm was not found on PATH: fleet setup installs the agent CLIs with npm. Install Node.js 20 or newer with its npm (e.g. sudo apt-get install nodejs npm), then run fleet setup again; nothing was installed");
        var dir = host.UserDirs.ToolsDir;
        var bin = AgentCliLocator.UserBin(host.UserDirs);
        var missing = pins.Where(p => InstalledVersion(dir, p.Package) != p.Version).ToList();
        string? log = null;
        if (missing.Count > 0)
        {
            Directory.CreateDirectory(dir);

            // A package.json of its own keeps npm from walking up into a project that happens to be above the folder.
            var manifest = Path.Combine(dir, "package.json");
            if (!File.Exists(manifest))
            {
                await File.WriteAllTextAsync(manifest, "{ \"name\": \"fleet-tools\", \"private\": true }\n", cancellationToken);
            }

            log = Path.Combine(dir, "npm-install.log");
            progress($"installing {string.Join(", ", missing.Select(p => p.Spec))} into {dir} (npm's output: {log})");
            await RunNpmAsync(npm, path, dir, missing, log, progress, cancellationToken);
        }

        var tools = new List<SetupTool>();
        foreach (var pin in pins)
        {
            var exe = Path.Combine(bin, pin.Executable);
            var version = InstalledVersion(dir, pin.Package);
            if (version != pin.Version || !File.Exists(exe))
            {
                throw new FleetOperationException(ExitCodes.Failed, $"npm finished, but {pin.Spec} is not in {dir} (found {version ?? "nothing"}, {exe} {(File.Exists(exe) ? "exists" : "missing")}){(log is null ? string.Empty : $"; npm's output: {log}")}");
            }

            tools.Add(new SetupTool(pin, exe, missing.Contains(pin)));
        }

        return new SetupResult(dir, bin, log, tools);
    }

    /// <summary>The version of <paramref name="package"/> installed under the npm prefix <paramref name="prefix"/>, or null.</summary>
    public static string? InstalledVersion(string prefix, string package)
    {
        var manifest = Path.Combine([prefix, "node_modules", .. package.Split('/'), "package.json"]);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            return doc.RootElement.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The argv of the install: exact versions saved as such, nothing but errors on npm's own output.</summary>
    public static IReadOnlyList<string> NpmArgv(string npm, string prefix, IEnumerable<NpmPin> pins) =>
        [npm, "install", "--prefix", prefix, "--save-exact", "--no-audit", "--no-fund", "--loglevel=error", .. pins.Select(p => p.Spec)];

    private async Task RunNpmAsync(string npm, string? path, string dir, IReadOnlyList<NpmPin> pins, string log, Action<string> progress, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(log, append: false) { AutoFlush = true };
        var argv = NpmArgv(npm, dir, pins);
        await writer.WriteLineAsync($"$ {string.Join(' ', argv)}");
        // The message's tail is kept per stream: the two pipes are read apart, so npm's closing error (on stderr) can reach
        // the log before the last lines of its stdout, and one tail of the log could leave the error out.
        var gate = new Lock();
        var outputTail = new Queue<string>();
        var errorTail = new Queue<string>();
        void Write(string line, Queue<string> tail)
        {
            lock (gate)
            {
                writer.WriteLine(line);
                tail.Enqueue(line);
                if (tail.Count > TailLines)
                {
                    tail.Dequeue();
                }
            }
        }

        var started = host.Time.GetTimestamp();
        var run = CommandRunner.For(argv)
            .WithEnvironment(path is null ? null : [new("PATH", path)])
            .WithTimeout(NpmTimeout, host.Time)
            .ExecuteStreamedAsync(line => Write(line, outputTail), line => Write(line, errorTail), cancellationToken);
        while (!run.IsCompleted)
        {
            var tick = Task.Delay(ProgressInterval, host.Time, cancellationToken);
            if (await Task.WhenAny(run, tick) == tick)
            {
                progress($"npm is still installing ({host.Time.GetElapsedTime(started).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s)");
            }
        }

        var result = await run;
        if (!result.Succeeded)
        {
            if (result.Stderr.Length > 0)
            {
                Write(result.Stderr, errorTail); // why it could not start
            }

            var why = result.TimedOut ? $"did not finish within {NpmTimeout.TotalMinutes:0} minutes" : result.Started ? $"exited with {result.ExitCode}" : "could not start";
            await writer.FlushAsync(cancellationToken);
            writer.Close();
            throw new FleetOperationException(ExitCodes.Failed, $"npm install {why}; the end of its output:\n{string.Join('\n', [.. outputTail, .. errorTail])}\nthe whole log: {log}");
        }
    }
}
