namespace Fleet.Workers;

/// <summary>The files one worker writes for one iteration, under <c>iterations/&lt;N&gt;/</c> (docs/architecture.md, the fleet root).</summary>
/// <param name="Log">The agent's stdout, byte for byte: <c>&lt;id&gt;.log</c>.</param>
/// <param name="StderrLog">The agent's stderr, byte for byte: <c>&lt;id&gt;.stderr.log</c>.</param>
/// <param name="ExitJson">The outcome, written once and atomically when the agent ends: <c>&lt;id&gt;.exit.json</c>.</param>
public sealed record WorkerFiles(string Log, string StderrLog, string ExitJson)
{
    public static WorkerFiles For(string iterationDir, string worker)
    {
        ArgumentException.ThrowIfNullOrEmpty(iterationDir);
        WorkerLaunchSpec.ThrowIfBadWorkerId(worker);
        return new WorkerFiles(
            Path.Combine(iterationDir, worker + ".log"),
            Path.Combine(iterationDir, worker + ".stderr.log"),
            Path.Combine(iterationDir, worker + ".exit.json"));
    }

    /// <summary>
    /// Where attempt <paramref name="attempt"/> of a (worker, iteration) that ended on a usage or rate limit records
    /// it: <c>&lt;id&gt;.limited-&lt;attempt&gt;.exit.json</c>. The worker's outcome stays in <c>&lt;id&gt;.exit.json</c>,
    /// which only its last attempt (the one not limited) writes.
    /// </summary>
    public static string LimitedExitJson(string iterationDir, string worker, int attempt) =>
        Path.Combine(iterationDir, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{worker}.limited-{attempt}.exit.json"));

    /// <summary>Where the claim of a limited attempt is kept once its continuation needs the claim's name: <c>&lt;id&gt;.limited-&lt;attempt&gt;.claim.json</c>.</summary>
    public static string LimitedClaim(string iterationDir, string worker, int attempt) =>
        Path.Combine(iterationDir, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{worker}.limited-{attempt}.claim.json"));
}
