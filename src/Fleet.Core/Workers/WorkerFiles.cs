namespace Fleet.Workers;

/// <summary>The files one worker writes for one iteration, under <c>iterations/&lt;N&gt;/</c> (DESIGN.md, fleet root layout).</summary>
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
}
