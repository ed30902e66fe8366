namespace Fleet.Orchestration;

/// <summary>How a run ended, or why it stopped for now.</summary>
/// <param name="Outcome"><c>success</c>, <c>failed</c>, <c>escalated</c>, <c>paused</c> or <c>killed</c>.</param>
/// <param name="Reason">In words, for status and the person.</param>
/// <param name="ExitCode">0 success, 1 failed, 3 needs a person.</param>
public sealed record RunOutcome(string Outcome, string Reason, int ExitCode);
