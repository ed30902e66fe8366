using Fleet.Team;

namespace Fleet.Tests.Team.Plan;

public sealed class WavePlannerTests
{
    private static IssueFootprint Issue(int n, string[]? files = null, string[]? folders = null, string[]? migrations = null, int[]? needs = null) =>
        new(n, files ?? [], folders ?? [], migrations ?? [], needs ?? []);

    private static IEnumerable<string> Waves(WavePlan plan) => plan.Waves.Select(w => $"{w.Wave}: {string.Join(' ', w.Issues)}");

    [Fact]
    public void Four_issues_where_two_share_a_file_and_one_needs_another_take_two_waves_with_every_wait_explained()
    {
        var plan = WavePlanner.Plan(
            [Issue(1, ["src/api/users.cs"]), Issue(2, ["src/api/users.cs", "src/b.cs"]), Issue(3, ["docs/x.md"], needs: [1]), Issue(4, ["src/c.cs"])],
            []);

        Waves(plan).ShouldBe(["1: 1 4", "2: 2 3"]);
        plan.Serializations.ShouldBe([
            new Serialization(2, 1, "file", "src/api/users.cs", "#2 runs after #1: both change src/api/users.cs"),
            new Serialization(3, 1, "needs", "#3 needs #1", "#3 waits for #1: it needs #1's result"),
        ]);
        plan.Notes.ShouldBeEmpty();
    }

    [Fact]
    public void The_exact_search_finds_fewer_waves_than_putting_the_lowest_numbers_first()
    {
        // Starting with #1 forces #2, #3 and #4 into a chain of four waves; starting with #2 needs three.
        var plan = WavePlanner.Plan([Issue(1, ["x.cs"]), Issue(2, ["x.cs"]), Issue(3, needs: [2]), Issue(4, needs: [3])], []);

        Waves(plan).ShouldBe(["1: 2", "2: 1 3", "3: 4"]);
        plan.Serializations.ShouldBe([
            new Serialization(1, 2, "file", "x.cs", "#1 runs after #2: both change x.cs"),
            new Serialization(3, 2, "needs", "#3 needs #2", "#3 waits for #2: it needs #2's result"),
            new Serialization(4, 3, "needs", "#4 needs #3", "#4 waits for #3: it needs #3's result"),
        ]);
    }

    [Fact]
    public void Between_equally_short_plans_the_lower_issue_number_runs_first()
    {
        var plan = WavePlanner.Plan([Issue(5, ["a.cs"]), Issue(2, ["a.cs"]), Issue(9, ["b.cs"])], []);
        Waves(plan).ShouldBe(["1: 2 9", "2: 5"]);
    }

    [Fact]
    public void Every_conflicting_pair_in_different_waves_is_listed_with_every_kind_that_applies()
    {
        var plan = WavePlanner.Plan([Issue(1, ["db/a.sql"], migrations: ["m1"]), Issue(2, ["db/a.sql"], migrations: ["m2"]), Issue(3, ["db/a.sql"])], ["db/"]);

        Waves(plan).ShouldBe(["1: 1", "2: 2", "3: 3"]);
        plan.Serializations.Select(s => (s.Issue, s.After, s.Kind)).ShouldBe([
            (2, 1, "file"), (2, 1, "shared-folder"), (2, 1, "migration"),
            (3, 1, "file"), (3, 1, "shared-folder"),
            (3, 2, "file"), (3, 2, "shared-folder"),
        ]);
        plan.Serializations[2].Reason.ShouldBe("#2 runs after #1: both change the schema or add migrations (#1: m1; #2: m2)");
    }

    [Fact]
    public void A_need_on_an_issue_that_is_not_in_the_list_is_ignored_and_noted()
    {
        var plan = WavePlanner.Plan([Issue(3, needs: [99, 4]), Issue(4)], []);
        Waves(plan).ShouldBe(["1: 4", "2: 3"]);
        plan.Notes.ShouldBe(["#3 needs #99, which is not in this plan: that need is ignored"]);
    }

    [Fact]
    public void A_needs_cycle_is_an_error_that_names_the_cycle()
    {
        Should.Throw<PlanException>(() => WavePlanner.Plan([Issue(1, needs: [3]), Issue(2), Issue(3, needs: [5]), Issue(5, needs: [1])], []))
            .Problems.ShouldBe(["needs cycle: #1 -> #3 -> #5 -> #1 (each needs the next); remove one of these needs so that one of them can start"]);
    }

    [Fact]
    public void An_issue_that_needs_itself_is_a_cycle_of_one()
    {
        Should.Throw<PlanException>(() => WavePlanner.Plan([Issue(7, needs: [7])], []))
            .Message.ShouldBe("needs cycle: #7 -> #7 (each needs the next); remove one of these needs so that one of them can start");
    }

    [Fact]
    public void Bad_paths_and_an_issue_given_twice_are_all_reported_at_once()
    {
        Should.Throw<PlanException>(() => WavePlanner.Plan([Issue(1, ["/abs"]), Issue(2), Issue(2)], ["../x"]))
            .Problems.ShouldBe([
                "#1: files[0]: \"/abs\" is an absolute path; footprint paths are relative to the repository root, e.g. src/app.cs",
                "shared_folders[0]: \"../x\" contains \"..\"; footprint paths stay inside the repository and are relative to its root",
                "#2 has 2 footprints; give each issue one",
            ]);
    }

    [Fact]
    public void No_issues_make_no_waves()
    {
        var plan = WavePlanner.Plan([], []);
        plan.Waves.ShouldBeEmpty();
        plan.Serializations.ShouldBeEmpty();
    }

    [Fact]
    public void Fifteen_issues_are_planned_greedily_and_the_plan_says_so()
    {
        // A chain of needs 1..15 and nothing else: any planner needs 15 waves, so the greedy one is also minimal here.
        var plan = WavePlanner.Plan([.. Enumerable.Range(1, 15).Select(n => Issue(n, needs: n == 1 ? [] : [n - 1]))], []);

        plan.Waves.Count.ShouldBe(15);
        plan.Waves.Select(w => w.Issues.Single()).ShouldBe(Enumerable.Range(1, 15));
        plan.Notes.ShouldBe(["15 issues is more than 14: the waves come from a greedy planner (longest chain of needs first), so there may be a plan with fewer waves"]);
    }

    [Fact]
    public void The_greedy_planner_starts_the_longest_chain_first()
    {
        // #1 and #2 conflict; #2 heads a chain of 13 more. Lowest number first would cost a wave.
        var footprints = new List<IssueFootprint> { Issue(1, ["x.cs"]), Issue(2, ["x.cs"]) };
        footprints.AddRange(Enumerable.Range(3, 13).Select(n => Issue(n, needs: [n - 1])));
        var plan = WavePlanner.Plan(footprints, []);

        plan.Waves.Count.ShouldBe(14);
        plan.Waves[0].Issues.ShouldBe([2]);
        plan.Waves[1].Issues.ShouldBe([1, 3]);
    }
}
