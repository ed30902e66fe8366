using System.Globalization;
using System.Text;
using Fleet.Doctrine;
using Fleet.Gates;
using Fleet.Paths;
using Fleet.Providers;
using Fleet.Rehearsal;
using Fleet.Spec;
using Fleet.State;
using Fleet.Streams;
using Fleet.Validation;

namespace Fleet.Workers;

/// <summary>How the workers of a run are started.</summary>
/// <param name="RehearsalEndpoint">When set, every agent talks to this rehearsal endpoint instead of a real model.</param>
/// <param name="PricesFile">Overrides the embedded codex price table.</param>
/// <param name="ToolSearchDirs">Where to look for the project-local agent CLIs (default: the app's folder and the current one).</param>
/// <param name="WorkingDirectory">Where the agent runs; the fleet root when null (worktree fleets give the worker's worktree).</param>
/// <param name="NoMemory">The run is the no-memory arm: its briefs get no doctrine and its gates no repository allow rules.</param>
public sealed record WorkerRunOptions(Uri? RehearsalEndpoint = null, string? PricesFile = null, IReadOnlyList<string>? ToolSearchDirs = null, string? WorkingDirectory = null, bool NoMemory = false);

/// <summary>
/// Turns (fleet, worker, iteration) into the shim's launch spec: the brief, the argv, the environment and
/// what the previous iteration left (the session to resume, codex's usage baseline). The brief of each
/// iteration is written to <c>iterations/N/&lt;id&gt;.prompt.md</c>, so the run records what each agent was told.
/// </summary>
public static class WorkerPreparation
{
    public static Task<WorkerLaunchSpec> PrepareAsync(
        ResolvedFleet fleet, string workerId, int iteration, WorkerRunOptions options, string? extraBrief, CancellationToken cancellationToken) =>
        PrepareAsync(fleet, workerId, iteration, options, extraBrief, continuation: null, cancellationToken);

    /// <summary>
    /// The spec that continues a (worker, iteration) after its run <paramref name="limited"/> ended on a usage or rate
    /// limit: the same session (<c>claude --resume</c>, codex's <c>thread/resume</c>) with fleet's continuation note as
    /// the prompt, as attempt <paramref name="attempt"/>. Without a session to resume (the run ended before the
    /// stream named one) the brief is run again.
    /// </summary>
    public static Task<WorkerLaunchSpec> PrepareContinuationAsync(
        ResolvedFleet fleet, string workerId, int iteration, int attempt, WorkerExitRecord? limited, WorkerRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 2);
        return PrepareAsync(fleet, workerId, iteration, options, extraBrief: null, new Continuation(attempt, limited), cancellationToken);
    }

    private sealed record Continuation(int Attempt, WorkerExitRecord? Limited);

    private static async Task<WorkerLaunchSpec> PrepareAsync(
        ResolvedFleet fleet, string workerId, int iteration, WorkerRunOptions options, string? extraBrief, Continuation? continuation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(options);
        var worker = fleet.Worker(workerId);
        var layout = new FleetLayout(fleet.Root);
        var iterationDir = layout.IterationDir(iteration);
        PrivateFiles.CreateDirectory(iterationDir);

        var earlier = iteration > 1 ? await WorkerExitRecord.TryReadAsync(layout.IterationDir(iteration - 1), workerId, cancellationToken) : null;
        var previous = continuation?.Limited is { SessionId: not null } limited ? limited : earlier;
        var context = FleetContext(fleet, worker, iteration, layout);
        var brief = await BriefAsync(layout, worker, cancellationToken);
        if (!string.IsNullOrWhiteSpace(extraBrief))
        {
            brief = $"{brief.TrimEnd()}\n\n{extraBrief.Trim()}\n";
        }

        if (!options.NoMemory && await DoctrineBrief.SectionAsync(layout.Root, cancellationToken) is { } doctrine)
        {
            brief = $"{brief.TrimEnd()}\n\n{doctrine.Trim()}\n";
        }

        // Codex and gemini have no system-prompt flag: their fleet context leads the prompt.
        var prompt = worker.Provider is Provider.Codex or Provider.Gemini ? $"{context}\n\n{brief}" : brief;
        var promptFile = layout.TaskPromptFile(iteration, workerId);
        if (continuation is { Limited.SessionId: not null })
        {
            // The session has its brief already: the continuation says only that the limit has reset.
            prompt = Fleet.Limits.LimitContinuation.Prompt(continuation.Limited.Reason);
            promptFile = Path.Combine(iterationDir, string.Create(CultureInfo.InvariantCulture, $"{workerId}.attempt-{continuation.Attempt}.prompt.md"));
        }

        // Replaced whole: a shim started before a crash may be reading the earlier one.
        await PrivateFiles.ReplaceAsync(promptFile, prompt, cancellationToken);

        var (sessionId, resume) = worker.Provider switch
        {
            Provider.Claude => previous?.SessionId is { } s ? (s, true) : (Guid.NewGuid().ToString(), false),

            // Codex and gemini name their own thread or session; fleet resumes the one the previous run's record names.
            Provider.Codex or Provider.Gemini => previous?.SessionId is { } t ? (t, true) : ((string?)null, false),
            _ => ((string?)null, false),
        };
        var codex = worker.Provider == Provider.Codex ? AgentCliLocator.Require("codex", options.ToolSearchDirs) : null;
        var appServer = codex is not null && await CodexAppServerProbe.HasAppServerAsync(codex, cancellationToken);
        var gates = worker.Provider is Provider.Claude or Provider.Gemini || appServer ? (options.NoMemory ? fleet.Gates : fleet.Gates.Concat(await RepoGateRules.ReadAsync(layout.Root, cancellationToken))) : null;
        var invocation = new InvocationContext(
            Root: layout.Root,
            Iteration: iteration,
            WorkingDirectory: options.WorkingDirectory ?? layout.Root,
            Prompt: prompt,
            PromptFile: promptFile,
            FleetContext: context,
            SessionId: sessionId,
            Resume: resume,
            LastMessageFile: layout.LastMessageFile(iteration, workerId),
            AskRules: gates is null || worker.Provider != Provider.Claude ? null : AgentCommand.AskRules(gates),
            CodexAppServer: appServer);
        var argv = AgentCommand.Build(worker, invocation).ToList();
        if (worker.Provider != Provider.Command)
        {
            argv[0] = AgentCliLocator.Require(argv[0], options.ToolSearchDirs);
        }

        return new WorkerLaunchSpec
        {
            Worker = workerId,
            Iteration = iteration,
            IterationDir = iterationDir,
            Argv = argv,
            WorkingDirectory = options.WorkingDirectory ?? layout.Root,
            Environment = Environment(fleet, worker, iteration, options, layout),
            StreamFormat = worker.Provider switch
            {
                Provider.Claude => WorkerStreamFormats.Claude,
                Provider.Codex => WorkerStreamFormats.Codex,
                Provider.Gemini => WorkerStreamFormats.Gemini,
                _ => WorkerStreamFormats.Plain,
            },
            Model = worker.Model,
            PricesFile = options.PricesFile,
            CodexBaseline = worker.Provider == Provider.Codex && resume
                ? new CodexBaseline(sessionId, previous?.CumulativeUsage ?? earlier?.CumulativeUsage ?? CodexUsage.Zero)
                : null,
            ClaudeBaseline = worker.Provider == Provider.Claude && resume
                ? new ClaudeBaseline(sessionId!, previous?.CumulativeCostUsd ?? earlier?.CumulativeCostUsd ?? 0m)
                : null,
            PromptOnStdin = worker.Provider == Provider.Claude ? prompt : null,
            CodexSession = appServer ? new CodexAppServerSession { Prompt = prompt, ResumeThread = resume ? sessionId : null } : null,
            GeminiSession = worker.Provider == Provider.Gemini ? new GeminiAcpSession { Prompt = prompt, ResumeSession = resume ? sessionId : null, PermissionMode = worker.PermissionMode } : null,
            Gates = gates is null ? null : WorkerGatesFor(gates, layout),
            Attempt = continuation?.Attempt,
        };
    }

    /// <summary>fleet.json's gates, then the repository's .fleet/gates.json as it was at spawn, and where the run's rules are.</summary>
    private static WorkerGates WorkerGatesFor(FleetGates gates, FleetLayout layout) => new()
    {
        Allow = gates.Allow,
        Deny = gates.Deny,
        Destructive = gates.Destructive,
        RunRulesFile = GatePaths.RunRules(layout.StateDir),
    };

    /// <summary>What fleet tells every agent about its place in the run.</summary>
    public static string FleetContext(ResolvedFleet fleet, ResolvedWorker worker, int iteration, FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(layout);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"You are worker \"{worker.Id}\" ({worker.Type.Name()}) of the fleet \"{fleet.Name}\", iteration {iteration}.");
        text.Append(CultureInfo.InvariantCulture, $" The fleet root is {layout.Root}; this iteration's files are in {layout.IterationDir(iteration)}.");
        if (worker.DependsOn.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" You run after {string.Join(", ", worker.DependsOn)}; their logs are iterations/{iteration}/<id>.log.");
        }

        text.Append(" Work on your own: fleet relays a permission request or a question to a person, but each one makes you wait, so ask only when you cannot go on without a decision. End with a short summary of what you changed.");
        return text.ToString();
    }

    private static async Task<string> BriefAsync(FleetLayout layout, ResolvedWorker worker, CancellationToken cancellationToken)
    {
        // prompt.md is read again at every iteration: a person may edit it during the run.
        var file = layout.PromptFile(worker.Id);
        if (Paths.InputFiles.Exists(file, layout.Relative(file)))
        {
            return await Paths.InputFiles.ReadTextAsync(file, layout.Relative(file), cancellationToken);
        }

        return worker.Task ?? string.Empty;
    }

    private static Dictionary<string, string?> Environment(ResolvedFleet fleet, ResolvedWorker worker, int iteration, WorkerRunOptions options, FleetLayout layout)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["FLEET_ROOT"] = layout.Root,
            ["FLEET_WORKER"] = worker.Id,
            ["FLEET_ITERATION"] = iteration.ToString(CultureInfo.InvariantCulture),
            ["NO_COLOR"] = "1",
        };
        if (options.RehearsalEndpoint is not { } endpoint || worker.Provider == Provider.Command)
        {
            return environment;
        }

        var rehearsalDir = Path.Combine(layout.StateDir, "rehearsal");
        var key = RehearsalKey.Create(fleet.Name, worker.Id, iteration).ToString();
        var rehearsal = RehearsalEnvironment.For(
            RehearsalPlayer.ProviderOf(worker.Provider), endpoint, key, rehearsalDir);
        rehearsal.WriteFiles();
        foreach (var (name, value) in rehearsal.Changes())
        {
            environment[name] = value;
        }

        // A rehearsal never reads or writes the person's own agent settings.
        var home = Path.Combine(rehearsalDir, "home");
        PrivateFiles.CreateMissingDirectory(home);
        environment["HOME"] = home;
        return environment;
    }
}
