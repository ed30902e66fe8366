using System.Globalization;
using System.Text.Json;
using Fleet.Forge;
using Fleet.Processes;
using Fleet.State;

namespace Fleet.Team;

/// <summary>
/// The squad's CI step, right after each publish: waits for the pull request's checks at the published head (GitHub: the
/// checks GitHub runs, polled up to the plan's bound; a local forge: the plan's checks command, run in the worktree, its
/// output kept in <c>iterations/N/checks.log</c> and recorded on the forge). A red head leaves its failing checks (name,
/// link, log tail) in the developer's and the reviewer's briefs, and blocks an lgtm for the iteration.
/// </summary>
public static class SquadChecks
{
    public const string CheckName = "checks";

    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(10);

    public static string RecordFile(string squadRoot, int iteration) =>
        Path.Combine(squadRoot, "iterations", iteration.ToString(CultureInfo.InvariantCulture), "checks.json");

    public static string LogFile(string squadRoot, int iteration) =>
        Path.Combine(squadRoot, "iterations", iteration.ToString(CultureInfo.InvariantCulture), "checks.log");

    public static async Task<ChecksVerdict> RunAsync(string squadRoot, SquadDefinition squad, PublishRecord published, IForge forge, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(squad);
        ArgumentNullException.ThrowIfNull(published);
        ArgumentNullException.ThrowIfNull(forge);
        ArgumentNullException.ThrowIfNull(time);
        var settings = squad.Checks ?? new ChecksSettings();
        var bound = TimeSpan.FromSeconds(settings.WaitSeconds);
        string? logFile = null;
        IReadOnlyList<ForgeCheckRun> runs;
        if (squad.Forge.Kind == ForgeSettingsRecord.Local)
        {
            runs = [];
            if (settings.Command is { } command)
            {
                logFile = LogFile(squadRoot, published.Iteration);
                var run = await RunCommandAsync(command, squad.Worktree, logFile, bound, time, cancellationToken);
                runs = [run];
                if (forge is LocalForge local)
                {
                    await local.RecordCheckAsync(published.PullRequest, published.Head, run, cancellationToken);
                }
            }
        }
        else
        {
            runs = await WaitAsync(forge, published.PullRequest, bound, time, cancellationToken);
        }

        var verdict = ChecksGate.Judge(runs);
        var record = new ChecksRecord(published.Iteration, published.Head, verdict.Status, [.. runs.Select(r => new ForgeCheckRunRecord(r.Name, r.Bucket, r.Link))], logFile);
        Doctrine.DoctrineFiles.WriteAtomic(RecordFile(squadRoot, published.Iteration), JsonSerializer.Serialize(record, TeamJsonContext.Default.ChecksRecord) + "\n");
        Apply(squadRoot, squad, published, verdict);
        return verdict;
    }

    /// <summary>The briefs and the iteration's lgtm block follow the verdict: a red head is named in both briefs and blocks approval.</summary>
    private static void Apply(string squadRoot, SquadDefinition squad, PublishRecord published, ChecksVerdict verdict)
    {
        var layout = new FleetLayout(squadRoot);
        var section = ChecksGate.BriefSection(verdict, published.Iteration, published.Head);
        SquadFleet.ReplaceChecksSection(layout, SquadFleet.Developer, section);
        SquadFleet.ReplaceChecksSection(layout, SquadFleet.Reviewer, section);
        var block = layout.LgtmBlockFile(published.Iteration);
        if (section is null)
        {
            File.Delete(block);
        }
        else
        {
            Doctrine.DoctrineFiles.WriteAtomic(block, $"the checks at head {published.Head} are not green: {verdict.Summary}\n");
        }
    }

    private static async Task<ForgeCheckRun> RunCommandAsync(string command, string worktree, string logFile, TimeSpan bound, TimeProvider time, CancellationToken cancellationToken)
    {
        var result = await new CommandRunner("/bin/sh")
            .WithArguments(["-c", command])
            .WithWorkingDirectory(worktree)
            .WithTimeout(bound, time)
            .ExecuteBufferedAsync(cancellationToken);
        var output = $"$ {command}\n{result.Stdout}{result.Stderr}" +
            (result.TimedOut ? $"\n(stopped after {bound.TotalSeconds:0} s: the plan's checks.wait_seconds)\n" : $"\n(exit {result.ExitCode})\n");
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        await File.WriteAllTextAsync(logFile, output, cancellationToken);
        return new ForgeCheckRun(CheckName, result.Succeeded ? ForgeCheckRun.Pass : ForgeCheckRun.Fail, logFile, ChecksGate.Tail(output));
    }

    /// <summary>Polls until no check is pending or the bound passes; what is still pending then stays pending (not green).</summary>
    private static async Task<IReadOnlyList<ForgeCheckRun>> WaitAsync(IForge forge, int pullRequest, TimeSpan bound, TimeProvider time, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + bound;
        while (true)
        {
            var runs = await forge.GetChecksAsync(pullRequest, cancellationToken);
            if (ChecksGate.Judge(runs).Status != ChecksVerdict.Pending || time.GetUtcNow() >= until)
            {
                return runs;
            }

            await Task.Delay(PollEvery, time, cancellationToken);
        }
    }

    /// <summary>The checks verdict recorded for an iteration, or null when none was (no checks step ran).</summary>
    public static ChecksRecord? TryRead(string squadRoot, int iteration)
    {
        var file = RecordFile(squadRoot, iteration);
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize(File.ReadAllText(file), TeamJsonContext.Default.ChecksRecord) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
