using System.Globalization;
using Fleet.Limits;
using Fleet.Reviews;
using Fleet.Spec;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Scheduling;

/// <summary>
/// One step of a round, in the order the orchestrator carries them out: it does the act (if any), then appends
/// <see cref="Entry"/> (if any). A short sentence as its text, so a round reads like a log.
/// </summary>
public abstract record Decision
{
    /// <summary>What to append to the journal; null for an act the journal already announced, or needs not.</summary>
    public virtual JournalEntry? Entry => null;

    /// <summary>
    /// Whether the entry is forced to disk on its own. Ends and starts are not: one flush before the round's
    /// first process start covers them (an exit record stays the truth until then).
    /// </summary>
    public virtual bool Flush => true;

    protected static string At(int iteration) => string.Create(CultureInfo.InvariantCulture, $"#{iteration}");
}

/// <summary>An iteration begins.</summary>
public sealed record StartIteration(int Iteration) : Decision
{
    public override JournalEntry Entry => new() { Type = JournalTypes.IterationStarted, Iteration = Iteration };

    public override string ToString() => $"start iteration {At(Iteration)}";
}

/// <summary>A worker ended as its record says. From a claim, the record is first copied to exit.json where every outcome lives.</summary>
public sealed record EndWorker(ResolvedWorker Worker, int Iteration, WorkerExitRecord Record, bool FromClaim = false) : Decision
{
    public override JournalEntry Entry => new()
    {
        Type = JournalTypes.WorkerEnded,
        Worker = Worker.Id,
        Iteration = Iteration,
        Outcome = Record.Outcome.ToString().ToLowerInvariant(),
        Reason = Record.Error,
        CostUsd = Record.CostUsd,
        ExitCode = Record.ExitCode,
        Signal = Record.Signal,
    };

    public override bool Flush => false;

    public override string ToString() => $"end {Worker.Id} {At(Iteration)} {Entry.Outcome}{(FromClaim ? " (from its claim)" : "")}";
}

/// <summary>A worker's attempt ended on a limit; <see cref="LimitDecision.Until"/> says when its session goes on, if ever.</summary>
public sealed record RecordLimit(ResolvedWorker Worker, int Iteration, int Attempt, LimitHit Hit, LimitDecision Wait, decimal? CostUsd) : Decision
{
    public override JournalEntry Entry => new()
    {
        Type = JournalTypes.WorkerLimited,
        Worker = Worker.Id,
        Iteration = Iteration,
        Attempt = Attempt > 1 ? Attempt : null,
        Outcome = "limited",
        Reason = $"{Hit.Name}: {Hit.Text}",
        CostUsd = CostUsd,
        Until = Wait.Until,
    };

    public override string ToString() => $"limited {Worker.Id} {At(Iteration)} attempt {Attempt} {(Wait.Until is { } until ? $"until {until:u}" : "not waited for")}";
}

/// <summary>A limited worker that is not continued fails.</summary>
public sealed record GiveUpLimited(string Worker, int Iteration, string Reason, int? ExitCode) : Decision
{
    public override JournalEntry Entry => new()
    {
        Type = JournalTypes.WorkerEnded,
        Worker = Worker,
        Iteration = Iteration,
        Outcome = "failed",
        Reason = $"{Reason}; not continued",
        ExitCode = ExitCode,
    };

    public override string ToString() => $"fail {Worker} {At(Iteration)}: {Entry.Reason}";
}

/// <summary>A started worker whose shim and agent are gone with no outcome anywhere.</summary>
public sealed record MarkLost(string Worker, int Iteration, RecoveryVerdict How) : Decision
{
    public override JournalEntry Entry => new()
    {
        Type = JournalTypes.WorkerEnded,
        Worker = Worker,
        Iteration = Iteration,
        Outcome = "failed",
        Reason = WorkerRecovery.Reason(How),
    };

    public override string ToString() => $"lost {Worker} {At(Iteration)}: {How}";
}

/// <summary>Move a limited attempt's claim out of the claim's name, so the next attempt's shim can claim.</summary>
public sealed record SetAsideClaim(string Worker, int Iteration, int Attempt) : Decision
{
    public override string ToString() => $"set aside the claim of {Worker} {At(Iteration)} attempt {Attempt}";
}

/// <summary>Start a shim for a start the journal already holds (<see cref="StartWorker"/>, <see cref="ContinueWorker"/>, or an unclaimed one found after a restart).</summary>
public sealed record Spawn(ResolvedWorker Worker, int Iteration, int Attempt = 1) : Decision
{
    public override string ToString() => $"spawn {Worker.Id} {At(Iteration)}{(Attempt > 1 ? $" attempt {Attempt}" : "")}";
}

/// <summary>Intent to continue a limited worker's session as a new attempt.</summary>
public sealed record ContinueWorker(string Worker, int Iteration, int Attempt, bool AskedByPerson) : Decision
{
    public override JournalEntry Entry => new()
    {
        Type = JournalTypes.WorkerContinued,
        Worker = Worker,
        Iteration = Iteration,
        Attempt = Attempt,
        Reason = AskedByPerson ? "continued by a person (fleet resume)" : "the limit has reset",
    };

    public override string ToString() => $"continue {Worker} {At(Iteration)} attempt {Attempt}";
}

/// <summary>The person's request to continue limited workers now has been served.</summary>
public sealed record ClearContinueRequest : Decision
{
    public override string ToString() => "clear the continue request";
}

/// <summary>A dag worker whose dependency did not succeed never starts.</summary>
public sealed record SkipWorker(string Worker, int Iteration, string Reason) : Decision
{
    public override JournalEntry Entry => new() { Type = JournalTypes.WorkerSkipped, Worker = Worker, Iteration = Iteration, Reason = Reason };

    public override string ToString() => $"skip {Worker} {At(Iteration)}: {Reason}";
}

/// <summary>The run has spent its cap: no worker starts from now on.</summary>
public sealed record ReachCostCap(decimal Spent, string Reason) : Decision
{
    public override JournalEntry Entry => new() { Type = JournalTypes.CostCapReached, CostUsd = Spent, Reason = Reason };

    public override string ToString() => $"cost cap reached: {Reason}";
}

/// <summary>Intent to start a worker; its <see cref="Spawn"/> follows once the round's intents are on disk.</summary>
public sealed record StartWorker(ResolvedWorker Worker, int Iteration) : Decision
{
    public override JournalEntry Entry => new() { Type = JournalTypes.WorkerSpawning, Worker = Worker.Id, Iteration = Iteration };

    public override bool Flush => false;

    public override string ToString() => $"start {Worker.Id} {At(Iteration)}";
}

/// <summary>Idle shims worth keeping for workers still to start.</summary>
public sealed record KeepIdleShims(int Count) : Decision
{
    public override string ToString() => $"keep {Count} idle shims";
}

/// <summary>The iteration's workers are done: read its review.md and decide again with it.</summary>
public sealed record ReadReview(int Iteration) : Decision
{
    public override string ToString() => $"read the review of {At(Iteration)}";
}

public sealed record RecordVerdict(int Iteration, ReviewVerdict Review) : Decision
{
    public override JournalEntry Entry => new() { Type = JournalTypes.Verdict, Iteration = Iteration, Outcome = Review.Verdict, Reason = Review.Reason, Source = Review.Source };

    public override string ToString() => $"verdict {At(Iteration)} {Review.Verdict}";
}

/// <summary>Nothing was journaled: wait for a file to change, the safety poll, or <paramref name="Until"/> (a limited worker's reset).</summary>
public sealed record Wait(DateTimeOffset? Until) : Decision
{
    public override string ToString() => Until is { } until ? $"wait until {until:u}" : "wait";
}

/// <summary>The orchestrator stops after this one and returns its outcome.</summary>
/// <param name="Outcome"><c>success</c>, <c>failed</c>, <c>escalated</c>, <c>paused</c> or <c>killed</c>.</param>
/// <param name="ExitCode">0 success, 1 failed, 3 needs a person.</param>
public abstract record Halt(string Outcome, string Reason, int ExitCode) : Decision;

/// <summary>The run had already ended or paused before this round.</summary>
public sealed record ReportOutcome(string Outcome, string Reason, int ExitCode) : Halt(Outcome, Reason, ExitCode)
{
    public override string ToString() => $"report {Outcome}: {Reason}";
}

/// <summary>Stop at an iteration boundary until a person resumes: asked by <c>.paused</c>, or by the reviewer's escalate.</summary>
public sealed record Pause(int Iteration, bool Escalated, string Reason) : Halt(Escalated ? "escalated" : "paused", Reason, ExitCodes.NeedsPerson)
{
    public override JournalEntry Entry => new() { Type = JournalTypes.Paused, Iteration = Iteration, Outcome = Outcome, Reason = Reason };

    public override string ToString() => $"{(Escalated ? "escalate" : "pause")} after {At(Iteration)}: {Reason}";
}

public sealed record EndRun(string Outcome, string Reason, int ExitCode, decimal Spent) : Halt(Outcome, Reason, ExitCode)
{
    public override JournalEntry Entry => new() { Type = JournalTypes.RunEnded, Outcome = Outcome, Reason = Reason, ExitCode = ExitCode, CostUsd = Spent };

    public override string ToString() => $"end the run {Outcome}: {Reason}";
}
