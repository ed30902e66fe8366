using System.Globalization;

namespace Fleet.State;

/// <summary>The fleet root layout (docs/architecture.md): one place that knows where each file lives.</summary>
public sealed class FleetLayout(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string FleetFile => Path.Combine(Root, "fleet.json");

    public string WorkerDir(string worker) => Path.Combine(Root, "workers", worker);

    public string PromptFile(string worker) => Path.Combine(WorkerDir(worker), "prompt.md");

    public string IterationDir(int iteration) => Path.Combine(Root, "iterations", iteration.ToString(CultureInfo.InvariantCulture));

    public string LogFile(int iteration, string worker) => Path.Combine(IterationDir(iteration), $"{worker}.log");

    public string StderrFile(int iteration, string worker) => Path.Combine(IterationDir(iteration), $"{worker}.stderr.log");

    public string ExitFile(int iteration, string worker) => Path.Combine(IterationDir(iteration), $"{worker}.exit.json");

    public string LastMessageFile(int iteration, string worker) => Path.Combine(IterationDir(iteration), $"{worker}.last-message.md");

    /// <summary>The brief fleet writes for a worker that has only a <c>task</c>.</summary>
    public string TaskPromptFile(int iteration, string worker) => Path.Combine(IterationDir(iteration), $"{worker}.prompt.md");

    public string ReviewFile(int iteration) => Path.Combine(IterationDir(iteration), "review.md");

    /// <summary>
    /// Written by a worker of the iteration (a team squad's publish, when the checks are red): why this iteration's
    /// work may not be approved. While it exists, an lgtm for the iteration counts as iterate.
    /// </summary>
    public string LgtmBlockFile(int iteration) => Path.Combine(IterationDir(iteration), "lgtm-blocked.md");

    public string PausedFile => Path.Combine(Root, ".paused");

    /// <summary><c>.fleet/continue-now</c>: a person asked (<c>fleet resume</c>) to continue limited workers without waiting for the reset.</summary>
    public string ContinueNowFile => Path.Combine(StateDir, "continue-now");

    /// <summary>The rehearsal script <c>fleet launch --rehearse</c> plays when present (else the default script).</summary>
    public string RehearsalFile => Path.Combine(Root, "rehearsal.json");

    public string StateDir => Path.Combine(Root, ".fleet");

    /// <summary>Every model call this run's rehearsal endpoints answered, one JSON line each; the next run archives it.</summary>
    public string RehearsalRequestsFile => Path.Combine(StateDir, "rehearsal", "requests.jsonl");

    /// <summary>The gate rules a person approved "always" for this run; the next run starts without them.</summary>
    public string RunRulesFile => Path.Combine(StateDir, RunRulesName);

    public const string RunRulesName = "gates.run.json";

    public string LaunchFile => Path.Combine(StateDir, "launch.json");

    public string JournalFile => Path.Combine(StateDir, "journal.jsonl");

    /// <summary>Written by an orchestrator that found its journal deleted or replaced: what happened, for status and resume.</summary>
    public string JournalLostFile => Path.Combine(StateDir, "journal.lost");

    /// <summary>The path relative to the root, for messages.</summary>
    public string Relative(string path) => Path.GetRelativePath(Root, path);
}
