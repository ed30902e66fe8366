using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.State;
using Fleet.Telemetry.Store;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet doctor</c>: what launch will do on this machine (tmux or background, the agent CLIs, gh, git, keys).</summary>
internal static class DoctorCommand
{
    public static Command Create(ICliConsole console)
    {
        var json = CommandHelpers.JsonOption();
        var root = new Argument<string?>("ROOT") { Description = "A fleet to check for (default: the fleet in this folder, if any); with slurm placement, also sinfo, squeue, munge and that its root is shared with the nodes.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("doctor", "Diagnose the machine: tmux, agent CLIs, gh, git, API keys, how launch will run workers, and a slurm fleet's cluster.") { root, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var slurmSettings = SlurmSettingsOf(console, parse.GetValue(root));
            var diagnosis = await MachineDoctor.DiagnoseAsync(console.GetEnvironmentVariable, [AppContext.BaseDirectory, console.CurrentDirectory], TimeProvider.System, cancellationToken);
            var shared = PrivacyAudit.Find(AgentDataPlaces(console));
            var slurm = slurmSettings is { } s
                ? await Placement.SlurmDoctor.CheckAsync(s.Root, s.Settings, new Placement.SlurmClient(TimeProvider.System), cancellationToken)
                : null;
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, ToJson(diagnosis, shared) with { Slurm = slurm?.Select(c => new DoctorSlurmJson(c.Name, c.Ok, c.Detail)).ToList() }, CliJsonContext.Default.DoctorJson);
            }
            else
            {
                await console.Out.WriteAsync(Render(diagnosis, shared));
                if (slurm is not null)
                {
                    await console.Out.WriteAsync(RenderSlurm(slurm));
                }
            }

            if (!diagnosis.CanLaunch)
            {
                var missing = diagnosis.Tools.Where(t => t.Required && !t.Tool.Found).Select(t => t.Tool.Name);
                await console.Error.WriteLineAsync($"fleet: launch cannot work here: {string.Join(", ", missing)} missing");
            }

            var slurmFailed = slurm?.Where(c => !c.Ok).Select(c => c.Name).ToList() ?? [];
            if (slurmFailed.Count > 0)
            {
                await console.Error.WriteLineAsync($"fleet: slurm placement cannot work here: {string.Join(", ", slurmFailed)} failed");
            }

            return diagnosis.CanLaunch && slurmFailed.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>The fleet's root and the sbatch settings of its first slurm worker, or null when it has none (or there is no fleet here and none was named).</summary>
    private static (string Root, Fleet.Spec.SlurmSettings Settings)? SlurmSettingsOf(ICliConsole console, string? root)
    {
        if (root is null && !File.Exists(Path.Combine(console.CurrentDirectory, "fleet.json")))
        {
            return null;
        }

        var result = CommandHelpers.Validate(console, root ?? ".");
        if (result.Fleet is not { } fleet)
        {
            throw new CliException($"{root ?? "fleet.json"}: not a valid fleet (fleet validate {root ?? "."} says why)");
        }

        return fleet.Workers.FirstOrDefault(w => w.Slurm is not null) is { Slurm: { } settings } ? (fleet.Root, settings) : null;
    }

    internal static string RenderSlurm(IReadOnlyList<Placement.SlurmCheck> checks)
    {
        var width = checks.Max(c => c.Name.Length);
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine("slurm placement:");
        foreach (var check in checks)
        {
            w.WriteLine($"  {check.Name.PadRight(width)}  {(check.Ok ? "ok    " : "FAILED")}  {check.Detail}");
        }

        return w.ToString();
    }

    /// <summary>The store, the logs, the registry, and the agent data of the fleet here and of every registered fleet.</summary>
    private static IEnumerable<string> AgentDataPlaces(ICliConsole console)
    {
        var dirs = new UserDirs(console.GetEnvironmentVariable);
        var store = TelemetryStore.DefaultPath(dirs);
        var registry = new FleetRegistry(dirs);
        IEnumerable<string> roots = [console.CurrentDirectory, .. registry.List().Select(e => e.Root)];
        return [.. TelemetryStore.StoreFileSuffixes.Select(s => store + s), dirs.LogDir, registry.Dir, .. roots.SelectMany(PrivacyAudit.RootPlaces)];
    }

    internal static DoctorJson ToJson(MachineDiagnosis d, IReadOnlyList<SharedAgentData> shared) => new(
        d.CanLaunch,
        d.Mode,
        d.Reason,
        d.InsideTmux,
        [.. d.Tools.Select(t => new DoctorToolJson(t.Tool.Name, t.Tool.Found, t.Tool.Path, t.Tool.Version, t.Tool.Error, t.Required, t.Tool.Found ? null : t.Install))],
        [.. d.Keys.Select(k => new DoctorKeyJson(k.Name, k.IsSet, k.Display))],
        [.. shared.Select(s => new DoctorSharedJson(s.Path, s.Mode, s.Fix))],
        new DoctorNotifyJson(d.Notify.UserFile, d.Notify.Channels, d.Notify.Problems),
        d.CodexAppServer is { } appServer ? appServer ? "app-server" : "exec" : null);

    internal static string Render(MachineDiagnosis d, IReadOnlyList<SharedAgentData> shared)
    {
        var rows = new List<(string Name, string State, string Detail)>();
        foreach (var check in d.Tools)
        {
            var tool = check.Tool;
            var need = check.Required ? "required" : "optional";
            rows.Add(tool switch
            {
                { Found: false } => (tool.Name, "missing", $"{need}; install: {check.Install}"),
                { Version: null } => (tool.Name, "broken", $"{tool.Path}: {tool.Error}"),
                _ => (tool.Name, tool.Version!, tool.Path!),
            });
        }

        rows.Add(("$TMUX", d.InsideTmux ? "set" : "not set", d.InsideTmux ? "inside tmux: fleet attach nests a tmux client" : "outside tmux"));
        foreach (var key in d.Keys)
        {
            rows.Add((key.Name, key.Display, string.Empty));
        }

        rows.Add(("mode", d.Mode, d.Reason));
        if (d.CodexAppServer is { } appServer)
        {
            rows.Add(("codex workers", appServer ? "app-server" : "exec", Fleet.Providers.CodexAppServerProbe.Describe(appServer)));
        }

        if (d.Tools.Any(t => t.Tool.Name == "gemini" && t.Tool.Works))
        {
            rows.Add(("gemini workers", "acp", Fleet.Providers.GeminiGates.Summary));
        }

        var notifyState = d.Notify.Problems.Count > 0 ? "invalid, ignored" : d.Notify.Channels.Count == 0 ? "none" : string.Join(", ", d.Notify.Channels);
        rows.Add(("notify", notifyState, d.Notify.UserFile + (d.Notify.Channels.Contains("desktop") && !d.Tools.Any(t => t.Tool.Name == "notify-send" && t.Tool.Found) ? " (desktop: notify-send is missing, so it is skipped)" : "")));
        var nameWidth = rows.Max(r => r.Name.Length);
        var stateWidth = rows.Max(r => r.State.Length);
        var w = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var (name, state, detail) in rows)
        {
            w.WriteLine($"{name.PadRight(nameWidth)}  {(detail.Length == 0 ? state : state.PadRight(stateWidth) + "  " + detail)}");
        }

        foreach (var problem in d.Notify.Problems)
        {
            w.WriteLine($"warning: {problem}");
        }

        foreach (var s in shared)
        {
            w.WriteLine($"warning: {s.Path} holds agent data that other users can read (mode {s.Mode}); make it private with: {s.Fix}");
        }

        w.WriteLine(d.CanLaunch ? "launch can run here." : "launch cannot run here: install the missing required programs.");
        return w.ToString();
    }
}
