namespace Fleet.Processes;

/// <summary>What marks a worker's processes for a kill.</summary>
/// <param name="TokenCarriers">Pids whose environment carries the worker's token.</param>
/// <param name="Agent">The agent: it, the members of its process group (while that group is provably its) and their descendants.</param>
/// <param name="Reaper">The worker's shim, a child subreaper: its descendants (the agent and the orphans reparented to it), never the shim itself.</param>
public sealed record SweepScope(IReadOnlySet<int> TokenCarriers, ProcessIdentity? Agent, ProcessIdentity? Reaper);

/// <summary>
/// Which live processes belong to a worker, from one snapshot of the process table: the token carriers, the agent and
/// its group, and every descendant of those and of the shim. A descendant is found by its parent pid and must have
/// started no earlier than its parent (so a recycled pid is never taken for a child). Zombies are dead: never selected.
/// </summary>
public static class ProcessSweep
{
    /// <param name="table">The processes, from <see cref="ProcessTable"/>.</param>
    /// <param name="scope">What marks the worker's processes.</param>
    /// <param name="self">Our own pid: never selected (a kill run from an agent's shell carries its token).</param>
    public static IReadOnlyList<ProcStat> Select(IReadOnlyList<ProcStat> table, SweepScope scope, int self)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(scope);
        var byPid = new Dictionary<int, ProcStat>(table.Count);
        var children = new Dictionary<int, List<ProcStat>>();
        foreach (var process in table)
        {
            byPid[process.Pid] = process;
            if (!children.TryGetValue(process.ParentPid, out var list))
            {
                children[process.ParentPid] = list = [];
            }

            list.Add(process);
        }

        var selected = new Dictionary<int, ProcStat>();
        var queue = new Queue<ProcStat>();
        void Take(ProcStat process)
        {
            if (selected.TryAdd(process.Pid, process))
            {
                queue.Enqueue(process);
            }
        }

        foreach (var pid in scope.TokenCarriers)
        {
            if (byPid.TryGetValue(pid, out var carrier))
            {
                Take(carrier);
            }
        }

        if (scope.Agent is { } agent)
        {
            var leader = byPid.GetValueOrDefault(agent.Pid);
            if (leader is not null && leader.StartTime == agent.StartTime)
            {
                Take(leader);
            }

            // The group is the agent's while its leader is, or while it has no leader: a pid is not reused while a
            // group with that id has members. A live leader with another start time is a stranger reusing the pid.
            if (leader is null || leader.StartTime == agent.StartTime)
            {
                foreach (var member in table.Where(p => p.ProcessGroupId == agent.Pid))
                {
                    Take(member);
                }
            }
        }

        if (scope.Reaper is { } reaper && byPid.TryGetValue(reaper.Pid, out var shim) && shim.StartTime == reaper.StartTime)
        {
            queue.Enqueue(shim);
        }

        while (queue.TryDequeue(out var parent))
        {
            foreach (var child in children.GetValueOrDefault(parent.Pid) ?? [])
            {
                if (child.StartTime >= parent.StartTime)
                {
                    Take(child);
                }
            }
        }

        return [.. selected.Values.Where(p => !p.HasEnded && p.Pid != self && p.Pid > 1 && !IsReaper(p, scope.Reaper)).OrderBy(p => p.Pid)];
    }

    private static bool IsReaper(ProcStat process, ProcessIdentity? reaper) =>
        reaper is not null && process.Pid == reaper.Pid && process.StartTime == reaper.StartTime;
}
