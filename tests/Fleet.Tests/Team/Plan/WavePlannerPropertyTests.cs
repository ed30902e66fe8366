using Fleet.Team;

namespace Fleet.Tests.Team.Plan;

/// <summary>
/// Seeded random backlogs over a small alphabet of paths, so overlaps are common. The overlap rules and the search
/// for the fewest waves are written again here, independently of the planner, and the two must agree.
/// </summary>
public sealed class WavePlannerPropertyTests
{
    private static readonly string[] FileAlphabet = ["a.cs", "b.cs", "src/c.cs", "src/d.cs", "src/api/e.cs", "src/api/f.cs", "docs/g.md", "db/h.sql"];
    private static readonly string[] FolderAlphabet = ["src/", "src/api/", "docs/", "db/", "tools/"];
    private static readonly string[][] SharedChoices = [[], ["db/"], ["src/api/"], ["src/", "docs/"]];

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 400)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_random_backlog_is_planned_into_the_fewest_waves_with_no_conflict_inside_a_wave_and_every_need_earlier(int seed)
    {
        var random = new Random(seed);
        var n = 1 + random.Next(seed % 4 == 0 ? 20 : 14);
        var (footprints, shared) = Backlog(random, n);
        var plan = WavePlanner.Plan(footprints, shared);
        var known = footprints.Select(f => f.Issue).ToHashSet();

        // Each issue exactly once, waves numbered from 1 and ascending inside.
        plan.Waves.SelectMany(w => w.Issues).Order().ShouldBe(footprints.Select(f => f.Issue).Order());
        plan.Waves.Select(w => w.Wave).ShouldBe(Enumerable.Range(1, plan.Waves.Count));
        plan.Waves.ShouldAllBe(w => w.Issues.Count > 0 && w.Issues.SequenceEqual(w.Issues.Order()));

        var waveOf = plan.Waves.SelectMany(w => w.Issues.Select(i => (i, w.Wave))).ToDictionary(p => p.i, p => p.Wave);
        var byIssue = footprints.ToDictionary(f => f.Issue);
        foreach (var a in footprints)
        {
            a.Needs.Where(known.Contains).ShouldAllBe(needed => waveOf[needed] < waveOf[a.Issue], $"seed {seed}: #{a.Issue} runs before or with a need");
            foreach (var b in footprints.Where(b => b.Issue > a.Issue))
            {
                var overlap = Overlap(a, b, shared);
                if (waveOf[a.Issue] == waveOf[b.Issue])
                {
                    overlap.ShouldBeFalse($"seed {seed}: #{a.Issue} and #{b.Issue} share wave {waveOf[a.Issue]}");
                }
                else if (overlap)
                {
                    var (early, late) = waveOf[a.Issue] < waveOf[b.Issue] ? (a, b) : (b, a);
                    plan.Serializations.ShouldContain(s => s.Issue == late.Issue && s.After == early.Issue, $"seed {seed}: #{late.Issue} after #{early.Issue} is not explained");
                }
            }
        }

        // Nothing serialized that does not conflict, and every issue after wave 1 has a reason to wait.
        plan.Serializations.ShouldAllBe(s => waveOf[s.After] < waveOf[s.Issue] && Overlap(byIssue[s.Issue], byIssue[s.After], shared));
        footprints.Where(f => waveOf[f.Issue] > 1).ShouldAllBe(f => plan.Serializations.Any(s => s.Issue == f.Issue));

        if (n <= 7)
        {
            plan.Waves.Count.ShouldBe(BruteForceFewestWaves(footprints, shared), $"seed {seed}");
        }

        if (n > WavePlanner.ExactLimit)
        {
            plan.Notes.ShouldContain(note => note.Contains("greedy", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_same_backlog_in_any_order_gives_the_same_plan(int seed)
    {
        var random = new Random(seed);
        var (footprints, shared) = Backlog(random, 1 + random.Next(16));
        var expected = WavePlanner.Plan(footprints, shared);

        var shuffled = footprints.Select(f => new IssueFootprint(f.Issue, Shuffle(random, f.Files), Shuffle(random, f.Folders), Shuffle(random, f.Migrations), Shuffle(random, f.Needs))).ToList();
        var again = WavePlanner.Plan(Shuffle(random, shuffled), Shuffle(random, shared));

        again.Waves.Select(w => string.Join(',', w.Issues)).ShouldBe(expected.Waves.Select(w => string.Join(',', w.Issues)));
        again.Serializations.ShouldBe(expected.Serializations);
        again.Notes.ShouldBe(expected.Notes);
    }

    /// <summary>Distinct issue numbers from 1..40, needs only along a random order (so no cycles), now and then a need outside the list.</summary>
    private static (List<IssueFootprint> Footprints, string[] Shared) Backlog(Random random, int n)
    {
        var numbers = Enumerable.Range(1, 40).OrderBy(_ => random.Next()).Take(n).ToList();
        var footprints = new List<IssueFootprint>();
        for (var k = 0; k < n; k++)
        {
            var files = FileAlphabet.Where(_ => random.NextDouble() < 0.12).ToList();
            var folders = FolderAlphabet.Where(_ => random.NextDouble() < 0.06).ToList();
            string[] migrations = random.NextDouble() < 0.15 ? [$"m{numbers[k]}"] : [];
            var needs = numbers.Take(k).Where(_ => random.NextDouble() < 0.12).ToList();
            if (random.NextDouble() < 0.05)
            {
                needs.Add(41 + random.Next(5));
            }

            footprints.Add(new IssueFootprint(numbers[k], files, folders, migrations, needs));
        }

        return (footprints, SharedChoices[random.Next(SharedChoices.Length)]);
    }

    /// <summary>The overlap rules, restated: a path covers another when it is the same or a folder holding it.</summary>
    private static bool Overlap(IssueFootprint a, IssueFootprint b, string[] shared)
    {
        static IEnumerable<string> Paths(IssueFootprint f) => f.Files.Concat(f.Folders);
        static bool Covers(string p, string q) => p == q || (p.EndsWith('/') && q.StartsWith(p, StringComparison.Ordinal));
        static bool Touches(IssueFootprint f, string s) => Paths(f).Any(p => Covers(s, p) || Covers(p, s));

        return a.Needs.Contains(b.Issue)
            || b.Needs.Contains(a.Issue)
            || Paths(a).Any(p => Paths(b).Any(q => Covers(p, q) || Covers(q, p)))
            || shared.Any(s => Touches(a, s) && Touches(b, s))
            || (a.Migrations.Count > 0 && b.Migrations.Count > 0);
    }

    /// <summary>Tries every assignment of issues to 1..k waves, k = 1, 2, ...: the first k that works is the fewest.</summary>
    private static int BruteForceFewestWaves(List<IssueFootprint> footprints, string[] shared)
    {
        var n = footprints.Count;
        var known = footprints.Select(f => f.Issue).ToHashSet();
        var index = footprints.Select((f, i) => (f.Issue, i)).ToDictionary(p => p.Issue, p => p.i);
        var overlap = new bool[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                overlap[i, j] = i != j && Overlap(footprints[i], footprints[j], shared);
            }
        }

        for (var k = 1; ; k++)
        {
            var wave = new int[n];
            var total = (long)Math.Pow(k, n);
            for (long code = 0; code < total; code++)
            {
                var c = code;
                for (var i = 0; i < n; i++)
                {
                    wave[i] = (int)(c % k);
                    c /= k;
                }

                var ok = true;
                for (var i = 0; i < n && ok; i++)
                {
                    for (var j = i + 1; j < n && ok; j++)
                    {
                        ok = !(overlap[i, j] && wave[i] == wave[j]);
                    }

                    ok = ok && footprints[i].Needs.Where(known.Contains).All(x => wave[index[x]] < wave[i]);
                }

                if (ok)
                {
                    return k;
                }
            }
        }
    }

    private static List<T> Shuffle<T>(Random random, IEnumerable<T> items) => [.. items.OrderBy(_ => random.Next())];
}
