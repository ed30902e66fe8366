using Fleet.Team;

namespace Fleet.Tests.Team.Plan;

public sealed class BundlerTests
{
    private static IssueFootprint Issue(int n, string[]? files = null, string[]? folders = null, int[]? needs = null) =>
        new(n, files ?? [], folders ?? [], [], needs ?? []);

    private static string Show(IReadOnlyList<PlannedBundle> bundles) =>
        string.Join(" | ", bundles.Select(b => $"{string.Join(' ', b.Issues)}: {string.Join(' ', b.SharedFiles)}"));

    public static TheoryData<string, IssueFootprint[], string> Cases() => new()
    {
        { "three issues on one file are one bundle", [Issue(1, ["a.cs"]), Issue(2, ["a.cs", "b.cs"]), Issue(3, ["a.cs"])], "1 2 3: a.cs" },
        { "issues on different files are not bundled", [Issue(1, ["a.cs"]), Issue(2, ["b.cs"])], "" },
        { "a shared file joins transitively", [Issue(1, ["a.cs"]), Issue(2, ["a.cs", "b.cs"]), Issue(3, ["b.cs"])], "1 2 3: a.cs b.cs" },
        { "two separate files make two bundles", [Issue(1, ["a.cs"]), Issue(2, ["b.cs"]), Issue(3, ["a.cs"]), Issue(4, ["b.cs"])], "1 3: a.cs | 2 4: b.cs" },
        { "a folder overlap alone is not a bundle (it still serializes)", [Issue(1, ["src/a.cs"]), Issue(2, folders: ["src/"])], "" },
        { "a need between two issues on one file stays inside the bundle", [Issue(1, ["a.cs"]), Issue(2, ["a.cs"], needs: [1])], "1 2: a.cs" },
        {
            // {1,3} would need #2, which needs #1: a circle; #3 is left out and runs after #2.
            "a join that would make needs circular is not made",
            [Issue(1, ["a.cs"]), Issue(2, ["b.cs"], needs: [1]), Issue(3, ["a.cs"], needs: [2])],
            ""
        },
        { "the input order does not matter", [Issue(3, ["a.cs"]), Issue(1, ["a.cs"]), Issue(2, ["a.cs"])], "1 2 3: a.cs" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bundles_join_issues_that_change_the_same_file(string name, IssueFootprint[] footprints, string expected) =>
        Show(Bundler.Group(footprints)).ShouldBe(expected, name);

    [Fact]
    public void A_bundle_is_planned_as_one_footprint_under_its_lead_and_needs_on_its_members_point_at_the_lead()
    {
        var merged = Bundler.Merge(
            [Issue(1, ["a.cs"]), Issue(2, ["a.cs", "b.cs"], needs: [1, 9]), Issue(4, ["c.cs"], needs: [2])],
            [new PlannedBundle([1, 2], ["a.cs"])]);

        merged.Select(f => $"#{f.Issue} files {string.Join(' ', f.Files)} needs {string.Join(' ', f.Needs)}").ShouldBe([
            "#1 files a.cs b.cs needs 9",
            "#4 files c.cs needs 1",
        ]);
    }

    [Fact]
    public void Three_issues_on_one_file_plan_as_one_bundle_in_one_wave_and_serialize_gives_three_waves()
    {
        PlannedIssue P(int n, string file) => new(n, $"Issue {n}", $"u{n}", Issue(n, [file]));
        PlannedIssue[] issues = [P(1, "src/a.txt"), P(2, "src/a.txt"), P(3, "src/a.txt"), P(4, "src/b.txt"),
            new PlannedIssue(5, "Taken", "u5", Issue(5, ["src/a.txt"]), new TakenBy("open pull request #9", null))];

        var bundled = TeamPlan.Create("r", "main", new ForgeSettingsRecord("local", "f"), DateTimeOffset.UnixEpoch, [], SquadSettings.Default, issues, overlap: OverlapModes.Bundle);
        var serialized = TeamPlan.Create("r", "main", new ForgeSettingsRecord("local", "f"), DateTimeOffset.UnixEpoch, [], SquadSettings.Default, issues, overlap: OverlapModes.Serialize);

        bundled.Waves.Select(w => string.Join(' ', w.Issues)).ShouldBe(["1 2 3 4"]);
        bundled.Bundles.ShouldHaveSingleItem().Issues.ShouldBe([1, 2, 3], "a bundle never includes a taken issue");
        bundled.Bundles[0].Reason.ShouldBe("#1, #2 and #3 are one bundle (one squad, one pull request): they change src/a.txt");
        bundled.Overlap.ShouldBe("bundle");
        serialized.Waves.Select(w => string.Join(' ', w.Issues)).ShouldBe(["1 4", "2", "3"]);
        serialized.Bundles.ShouldBeEmpty();
    }

    [Fact]
    public void The_run_takes_a_bundle_as_one_squad_led_by_its_lowest_issue()
    {
        PlannedIssue P(int n, string file, int[]? needs = null) => new(n, $"Issue {n}", $"u{n}", Issue(n, [file], needs: needs));
        var plan = TeamPlan.Create("r", "main", new ForgeSettingsRecord("local", "f"), DateTimeOffset.UnixEpoch, [], SquadSettings.Default,
            [P(1, "a.txt"), P(2, "a.txt"), P(3, "b.txt"), P(6, "c.txt", [2])], overlap: OverlapModes.Bundle);

        var waves = TeamRunWaves.From(plan);

        waves.Select(w => string.Join(' ', w.Select(i => $"#{i.Number}{(i.Bundled.Count == 0 ? "" : "+" + string.Join('+', i.Bundled.Select(b => b.Number)))}"))).ShouldBe(["#1+2 #3", "#6"]);
        waves[0][0].AllNumbers.ShouldBe([1, 2]);
        waves[1][0].AllNeeds.ShouldBe([2]);
    }
}
