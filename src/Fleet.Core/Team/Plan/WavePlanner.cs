using System.Globalization;
using System.Numerics;
using Fleet.Graph;

namespace Fleet.Team;

/// <summary>
/// Turns issue footprints into waves: issues that conflict never share a wave, and an issue runs after every issue
/// it needs. The number of waves is minimal (exact search) for up to <see cref="ExactLimit"/> issues; beyond that a
/// deterministic greedy plans, and says so. Same input, in any order, gives the same plan: ties go to the lower issue number.
/// </summary>
public static class WavePlanner
{
    /// <summary>The largest backlog planned by exact search (over subsets of the issues: 2^n states).</summary>
    public const int ExactLimit = 14;

    /// <summary>Every reason the two issues cannot share a wave, at most one per kind, in <see cref="ConflictKinds.All"/> order; empty when they can.</summary>
    public static IReadOnlyList<FootprintConflict> Conflicts(IssueFootprint a, IssueFootprint b, IReadOnlyList<string> sharedFolders) =>
        ConflictsOfNormalized(FootprintPaths.Normalize(a), FootprintPaths.Normalize(b), FootprintPaths.NormalizeFolders(sharedFolders ?? []));

    /// <summary>
    /// The waves for <paramref name="footprints"/>. Throws <see cref="PlanException"/> for bad paths, an issue listed
    /// twice, or a needs cycle (naming it). Needs on issues not in the list are ignored and noted.
    /// </summary>
    public static WavePlan Plan(IReadOnlyList<IssueFootprint> footprints, IReadOnlyList<string> sharedFolders)
    {
        ArgumentNullException.ThrowIfNull(footprints);
        var problems = new List<string>();
        var normalized = new List<IssueFootprint>();
        foreach (var footprint in footprints)
        {
            try
            {
                normalized.Add(FootprintPaths.Normalize(footprint));
            }
            catch (PlanException e)
            {
                problems.AddRange(e.Problems);
            }
        }

        IReadOnlyList<string> shared = [];
        try
        {
            shared = FootprintPaths.NormalizeFolders(sharedFolders ?? []);
        }
        catch (PlanException e)
        {
            problems.AddRange(e.Problems);
        }

        problems.AddRange(normalized.GroupBy(f => f.Issue).Where(g => g.Count() > 1).OrderBy(g => g.Key)
            .Select(g => $"#{g.Key} has {g.Count()} footprints; give each issue one"));
        if (problems.Count > 0)
        {
            throw new PlanException(problems);
        }

        var issues = normalized.OrderBy(f => f.Issue).ToList();
        var known = issues.Select(f => f.Issue).ToHashSet();
        var notes = new List<string>();
        foreach (var f in issues)
        {
            notes.AddRange(f.Needs.Where(n => !known.Contains(n)).Select(n => $"#{f.Issue} needs #{n}, which is not in this plan: that need is ignored"));
        }

        issues = [.. issues.Select(f => f with { Needs = [.. f.Needs.Where(known.Contains)] })];
        ThrowOnCycle(issues);

        var n = issues.Count;
        var conflicts = new IReadOnlyList<FootprintConflict>[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                conflicts[i, j] = conflicts[j, i] = ConflictsOfNormalized(issues[i], issues[j], shared);
            }
        }

        var index = issues.Select((f, i) => (f.Issue, i)).ToDictionary(p => p.Issue, p => p.i);
        var needs = issues.Select(f => f.Needs.Select(x => index[x]).ToList()).ToList();
        int[] waveOf;
        if (n <= ExactLimit)
        {
            waveOf = new ExactSearch(n, (i, j) => conflicts[i, j].Count > 0, needs).Solve();
        }
        else
        {
            waveOf = Greedy(n, (i, j) => conflicts[i, j].Count > 0, needs);
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{n} issues is more than {ExactLimit}: the waves come from a greedy planner (longest chain of needs first), so there may be a plan with fewer waves"));
        }

        var waves = Enumerable.Range(1, n == 0 ? 0 : waveOf.Max())
            .Select(w => new PlannedWave(w, [.. Enumerable.Range(0, n).Where(i => waveOf[i] == w).Select(i => issues[i].Issue)]))
            .ToList();

        var serializations = new List<Serialization>();
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                // The explanation names the earlier issue first, so it is worded again in that order.
                if (waveOf[j] < waveOf[i] && conflicts[i, j].Count > 0)
                {
                    serializations.AddRange(ConflictsOfNormalized(issues[j], issues[i], shared).Select(c => ToSerialization(issues[i].Issue, issues[j].Issue, c)));
                }
            }
        }

        return new WavePlan(waves, serializations) { Notes = notes };
    }

    /// <summary>Why <paramref name="later"/> runs after <paramref name="earlier"/>, from one of their conflicts.</summary>
    public static Serialization ToSerialization(int later, int earlier, FootprintConflict conflict)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        var reason = conflict.Kind == ConflictKinds.Needs
            ? $"#{later} waits for #{earlier}: it needs #{earlier}'s result"
            : $"#{later} runs after #{earlier}: {conflict.Explanation}";
        return new Serialization(later, earlier, conflict.Kind, conflict.Detail, reason);
    }

    /// <summary><see cref="Conflicts"/> on footprints and shared folders already in normal form.</summary>
    internal static IReadOnlyList<FootprintConflict> ConflictsOfNormalized(IssueFootprint a, IssueFootprint b, IReadOnlyList<string> shared)
    {
        var result = new List<FootprintConflict>();
        var needs = new List<(string Detail, string Explanation)>();
        if (a.Needs.Contains(b.Issue))
        {
            needs.Add(($"#{a.Issue} needs #{b.Issue}", $"#{a.Issue} needs #{b.Issue}'s result"));
        }

        if (b.Needs.Contains(a.Issue))
        {
            needs.Add(($"#{b.Issue} needs #{a.Issue}", $"#{b.Issue} needs #{a.Issue}'s result"));
        }

        if (needs.Count > 0)
        {
            result.Add(new FootprintConflict(ConflictKinds.Needs, string.Join(", ", needs.Select(x => x.Detail)), string.Join("; ", needs.Select(x => x.Explanation))));
        }

        var files = a.Files.Intersect(b.Files, StringComparer.Ordinal).ToList();
        if (files.Count > 0)
        {
            result.Add(new FootprintConflict(ConflictKinds.File, string.Join(", ", files), $"both change {Sentence(files)}"));
        }

        var folders = FolderOverlaps(a, b);
        if (folders.Count > 0)
        {
            result.Add(new FootprintConflict(ConflictKinds.Folder, string.Join(", ", folders.Select(x => x.Detail)), string.Join("; ", folders.Select(x => x.Explanation))));
        }

        var both = shared.Where(s => Touches(a, s) && Touches(b, s)).ToList();
        if (both.Count > 0)
        {
            var marked = both.Count == 1 ? "a folder marked shared" : "folders marked shared";
            result.Add(new FootprintConflict(ConflictKinds.SharedFolder, string.Join(", ", both), $"both touch {Sentence(both)}, {marked}"));
        }

        if (a.Migrations.Count > 0 && b.Migrations.Count > 0)
        {
            var detail = $"#{a.Issue}: {string.Join(", ", a.Migrations)}; #{b.Issue}: {string.Join(", ", b.Migrations)}";
            result.Add(new FootprintConflict(ConflictKinds.Migration, detail, $"both change the schema or add migrations ({detail})"));
        }

        return result;
    }

    /// <summary>A file or folder of one inside a folder of the other, and folders that are the same or nested.</summary>
    private static List<(string Detail, string Explanation)> FolderOverlaps(IssueFootprint a, IssueFootprint b)
    {
        var found = new List<(string, string)>();
        foreach (var (x, y) in new[] { (a, b), (b, a) })
        {
            foreach (var folder in y.Folders)
            {
                found.AddRange(x.Files.Where(f => FootprintPaths.IsWithin(f, folder))
                    .Select(f => ($"{f} in {folder}", $"#{x.Issue} changes {f} inside #{y.Issue}'s folder {folder}")));
                found.AddRange(x.Folders.Where(f => f != folder && FootprintPaths.IsWithin(f, folder))
                    .Select(f => ($"{f} in {folder}", $"#{x.Issue}'s folder {f} is inside #{y.Issue}'s folder {folder}")));
            }
        }

        found.AddRange(a.Folders.Intersect(b.Folders, StringComparer.Ordinal).Select(f => (f, $"both change the folder {f}")));
        return found;
    }

    /// <summary>An issue touches a shared folder when it changes something inside it, or a folder that holds it.</summary>
    private static bool Touches(IssueFootprint footprint, string sharedFolder) =>
        footprint.Files.Any(f => FootprintPaths.IsWithin(f, sharedFolder))
        || footprint.Folders.Any(f => FootprintPaths.IsWithin(f, sharedFolder) || FootprintPaths.IsWithin(sharedFolder, f));

    /// <summary>"a", "a and b", "a, b and c".</summary>
    private static string Sentence(List<string> items) =>
        items.Count == 1 ? items[0] : $"{string.Join(", ", items.Take(items.Count - 1))} and {items[^1]}";

    private static void ThrowOnCycle(IReadOnlyList<IssueFootprint> issues)
    {
        var name = (int issue) => issue.ToString(CultureInfo.InvariantCulture);
        var byName = issues.ToDictionary(f => name(f.Issue));
        var graph = new DependencyGraph(issues.Select(f => name(f.Issue)), id => byName[id].Needs.Select(name));
        var cycles = graph.FindCycles();
        if (cycles.Count > 0)
        {
            throw new PlanException([.. cycles.Select(c =>
                $"needs cycle: {string.Join(" -> ", c.Select(x => "#" + x))} (each needs the next); remove one of these needs so that one of them can start")]);
        }
    }

    /// <summary>
    /// List scheduling: wave by wave, the issues whose needs are done, longest chain of issues waiting on them first
    /// (then lower number), each taken when it conflicts with none already in the wave. Every wave is maximal.
    /// </summary>
    private static int[] Greedy(int n, Func<int, int, bool> conflict, List<List<int>> needs)
    {
        var dependents = Enumerable.Range(0, n).Select(_ => new List<int>()).ToList();
        for (var i = 0; i < n; i++)
        {
            needs[i].ForEach(x => dependents[x].Add(i));
        }

        var height = new int[n];
        var done = new bool[n];
        int Height(int i)
        {
            if (!done[i])
            {
                height[i] = dependents[i].Count == 0 ? 1 : 1 + dependents[i].Max(Height);
                done[i] = true;
            }

            return height[i];
        }

        var order = Enumerable.Range(0, n).OrderByDescending(Height).ThenBy(i => i).ToList();
        var waveOf = new int[n];
        for (var wave = 1; order.Any(i => waveOf[i] == 0); wave++)
        {
            var chosen = new List<int>();
            foreach (var i in order.Where(i => waveOf[i] == 0 && needs[i].All(x => waveOf[x] != 0 && waveOf[x] < wave)))
            {
                if (chosen.TrueForAll(c => !conflict(c, i)))
                {
                    chosen.Add(i);
                }
            }

            chosen.ForEach(i => waveOf[i] = wave);
        }

        return waveOf;
    }

    /// <summary>
    /// The fewest waves, exactly: the least number of waves for the issues still to plan (a bit set) is one plus the
    /// least for what remains after the next wave, memoised over subsets. Only maximal next waves are tried (sets of
    /// issues whose needs are done, no two conflicting, to which no other such issue could be added): an issue that
    /// could run earlier never makes a plan longer by doing so. Among equally short plans the wave holding the lowest
    /// differing issue number wins, so earlier issue numbers run earlier.
    /// </summary>
    private sealed class ExactSearch
    {
        private readonly int _n;
        private readonly int[] _conflicts;
        private readonly int[] _needs;
        private readonly sbyte[] _best;
        private readonly int[] _choice;

        public ExactSearch(int n, Func<int, int, bool> conflict, List<List<int>> needs)
        {
            _n = n;
            _conflicts = new int[n];
            _needs = new int[n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    _conflicts[i] |= i != j && conflict(i, j) ? 1 << j : 0;
                }

                needs[i].ForEach(x => _needs[i] |= 1 << x);
            }

            _best = new sbyte[1 << n];
            _choice = new int[1 << n];
            Array.Fill(_best, (sbyte)-1);
        }

        public int[] Solve()
        {
            var waveOf = new int[_n];
            var remaining = (1 << _n) - 1;
            for (var wave = 1; remaining != 0; wave++)
            {
                Waves(remaining);
                var chosen = _choice[remaining];
                for (var i = 0; i < _n; i++)
                {
                    waveOf[i] = (chosen & (1 << i)) != 0 ? wave : waveOf[i];
                }

                remaining &= ~chosen;
            }

            return waveOf;
        }

        private int Waves(int remaining)
        {
            if (remaining == 0)
            {
                return 0;
            }

            if (_best[remaining] >= 0)
            {
                return _best[remaining];
            }

            var ready = 0;
            for (var i = 0; i < _n; i++)
            {
                ready |= (remaining & (1 << i)) != 0 && (_needs[i] & remaining) == 0 ? 1 << i : 0;
            }

            var best = int.MaxValue;
            var choice = 0;
            foreach (var wave in MaximalWaves(ready))
            {
                var waves = 1 + Waves(remaining & ~wave);
                if (waves < best || (waves == best && Prefer(wave, choice)))
                {
                    best = waves;
                    choice = wave;
                }
            }

            _best[remaining] = (sbyte)best;
            _choice[remaining] = choice;
            return best;
        }

        /// <summary>True when <paramref name="a"/> holds the lowest issue on which the two sets differ.</summary>
        private static bool Prefer(int a, int b)
        {
            var differ = a ^ b;
            return differ != 0 && (a & differ & -differ) != 0;
        }

        /// <summary>The maximal conflict-free subsets of <paramref name="ready"/> (Bron–Kerbosch with a pivot, on "may share a wave").</summary>
        private List<int> MaximalWaves(int ready)
        {
            var result = new List<int>();
            void Extend(int chosen, int candidates, int excluded)
            {
                if (candidates == 0 && excluded == 0)
                {
                    result.Add(chosen);
                    return;
                }

                var pivot = BitOperations.TrailingZeroCount(candidates | excluded);
                var most = -1;
                for (var rest = candidates | excluded; rest != 0; rest &= rest - 1)
                {
                    var u = BitOperations.TrailingZeroCount(rest);
                    var count = BitOperations.PopCount((uint)(candidates & Compatible(u, ready)));
                    if (count > most)
                    {
                        most = count;
                        pivot = u;
                    }
                }

                for (var rest = candidates & ~Compatible(pivot, ready); rest != 0; rest &= rest - 1)
                {
                    var v = BitOperations.TrailingZeroCount(rest);
                    var compatible = Compatible(v, ready);
                    Extend(chosen | (1 << v), candidates & compatible, excluded & compatible);
                    candidates &= ~(1 << v);
                    excluded |= 1 << v;
                }
            }

            Extend(0, ready, 0);
            return result;
        }

        private int Compatible(int issue, int ready) => ready & ~_conflicts[issue] & ~(1 << issue);
    }
}
