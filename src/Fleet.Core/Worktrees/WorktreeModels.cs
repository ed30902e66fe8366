namespace Fleet.Worktrees;

/// <summary>Who a commit is by: the agent's name on the work fleet commits for it.</summary>
public sealed record GitIdentity(string Name, string Email);

/// <summary>One worktree of a fleet, as <c>git worktree list</c> sees it.</summary>
/// <param name="Path">The worktree's folder.</param>
/// <param name="WorkerId">The worker it belongs to (from its branch, else from its folder name).</param>
/// <param name="Branch">The branch checked out there (short name), null when HEAD is detached.</param>
/// <param name="Head">The commit checked out there.</param>
/// <param name="LockReason">Why it is locked ("" when locked without a reason), null when not locked.</param>
/// <param name="Prunable">Its folder is gone; <c>git worktree prune</c> drops the entry (the branch stays).</param>
public sealed record FleetWorktree(string Path, string WorkerId, string? Branch, string? Head, string? LockReason, bool Prunable)
{
    public bool Locked => LockReason is not null;
}

public enum CleanAction
{
    /// <summary>The worktree (or a stale entry) was removed; see BranchDeleted for its branch.</summary>
    Removed,

    /// <summary>Dry run: it would have been removed.</summary>
    WouldRemove,

    /// <summary>Kept: the reason says why (uncommitted changes, unmerged commits, locked…).</summary>
    Refused,
}

/// <summary>What clean did with one worker's worktree or branch.</summary>
/// <param name="WorkerId">The worker.</param>
/// <param name="Path">The worktree's folder; null for a branch that has no worktree.</param>
/// <param name="Branch">The worker's branch, <c>fleet/&lt;fleet&gt;/&lt;worker&gt;</c>.</param>
/// <param name="Action">Removed, would remove (dry run) or refused.</param>
/// <param name="Reason">Why it was refused, or why the branch was kept after the worktree went; null otherwise.</param>
/// <param name="BranchDeleted">The branch was deleted with <c>git branch -d</c>.</param>
public sealed record CleanOutcome(string WorkerId, string? Path, string Branch, CleanAction Action, string? Reason, bool BranchDeleted)
{
    /// <summary>Something of this worker's was kept that clean was asked to remove.</summary>
    public bool KeptSomething => Action == CleanAction.Refused || (Action == CleanAction.Removed && !BranchDeleted);
}

/// <summary>The outcome of <c>fleet clean</c>: one entry per worker worktree or branch.</summary>
public sealed record CleanReport(string Repository, string FleetName, bool DryRun, IReadOnlyList<CleanOutcome> Outcomes)
{
    public bool AnyRefused => Outcomes.Any(o => o.KeptSomething);
}

/// <summary>Fleet will not create or reuse a worktree here; the message says why and what to do.</summary>
public sealed class WorktreeException : Exception
{
    public WorktreeException(string message)
        : base(message)
    {
    }

    public WorktreeException()
    {
    }

    public WorktreeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
