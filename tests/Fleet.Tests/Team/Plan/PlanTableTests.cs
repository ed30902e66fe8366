using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team.Plan;

public sealed class PlanTableTests
{
    [Fact]
    public void The_table_shows_each_waves_issues_then_why_issues_wait_what_is_taken_and_the_notes()
    {
        var plan = TeamPlan.Create(
            "acme/shop",
            "main",
            new ForgeSettingsRecord("github", null),
            DateTimeOffset.UnixEpoch,
            ["db/"],
            SquadSettings.Default,
            [
                new PlannedIssue(12, "Users endpoint", "https://github.com/acme/shop/issues/12", new IssueFootprint(12, ["src/api/users.cs"], [], ["add users table"], [])),
                new PlannedIssue(14, "Orders list needs the users endpoint", "https://github.com/acme/shop/issues/14", new IssueFootprint(14, ["src/api/orders.cs"], [], [], [12, 99])),
                new PlannedIssue(15, "Paginate users", "https://github.com/acme/shop/issues/15", new IssueFootprint(15, ["src/api/users.cs"], [], [], [])),
                new PlannedIssue(16, "Footer links", "https://github.com/acme/shop/issues/16", new IssueFootprint(16, ["web/footer.html"], [], [], [])),
                new PlannedIssue(108, "Orders schema", "https://github.com/acme/shop/issues/108", new IssueFootprint(108, [], ["db/"], ["add orders table"], [])),
                new PlannedIssue(9, "Old refactor", "https://github.com/acme/shop/issues/9", new IssueFootprint(9, [], [], [], []), new TakenBy("open pull request #31", "https://github.com/acme/shop/pull/31")),
            ]);

        Golden.Match(PlanTable.Render(plan), "plan-table.txt");
    }

    [Fact]
    public void A_plan_with_nothing_to_run_says_so()
    {
        var plan = TeamPlan.Create("acme/shop", "main", new ForgeSettingsRecord("local", ".fleet/forge"), DateTimeOffset.UnixEpoch, [], SquadSettings.Default,
            [new PlannedIssue(3, "Taken", "u3", new IssueFootprint(3, [], [], [], []), new TakenBy("branch fleet/issue-3", null))]);

        PlanTable.Render(plan).ShouldBe("""
            Plan for acme/shop (base main, forge local): 0 issues in 0 waves, 1 taken

            Wave  Issue  Title
            ----  -----  -----
            (no issue to run)

            Taken (never started):
              #3  Taken: branch fleet/issue-3

            """);
    }
}
