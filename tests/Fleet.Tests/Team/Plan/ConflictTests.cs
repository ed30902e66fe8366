using Fleet.Team;

namespace Fleet.Tests.Team.Plan;

/// <summary>Each reason two issues cannot share a wave, and the pairs that can.</summary>
public sealed class ConflictTests
{
    private static IssueFootprint Issue(int n, string[]? files = null, string[]? folders = null, string[]? migrations = null, int[]? needs = null) =>
        new(n, files ?? [], folders ?? [], migrations ?? [], needs ?? []);

    [Fact]
    public void Two_issues_that_change_the_same_file_conflict_on_that_file()
    {
        var c = WavePlanner.Conflicts(Issue(12, ["src/api/users.cs", "README.md"]), Issue(15, ["./src/api/users.cs", "src/other.cs"]), []);
        c.ShouldBe([new FootprintConflict("file", "src/api/users.cs", "both change src/api/users.cs")]);
    }

    [Fact]
    public void Several_shared_files_make_one_conflict_that_names_them_all()
    {
        var c = WavePlanner.Conflicts(Issue(1, ["a.cs", "b.cs", "c.cs"]), Issue(2, ["c.cs", "b.cs", "a.cs"]), []);
        c.ShouldBe([new FootprintConflict("file", "a.cs, b.cs, c.cs", "both change a.cs, b.cs and c.cs")]);
    }

    [Fact]
    public void A_file_inside_the_other_issues_folder_is_a_folder_conflict_whichever_side_it_is_on()
    {
        var expected = new FootprintConflict("folder", "src/api/users.cs in src/api/", "#12 changes src/api/users.cs inside #15's folder src/api/");
        WavePlanner.Conflicts(Issue(12, ["src/api/users.cs"]), Issue(15, folders: ["src/api"]), []).ShouldBe([expected]);
        WavePlanner.Conflicts(Issue(15, folders: ["src/api/"]), Issue(12, ["src/api/users.cs"]), []).ShouldBe([expected]);
    }

    [Fact]
    public void Nested_folders_conflict_and_so_do_equal_ones()
    {
        WavePlanner.Conflicts(Issue(1, folders: ["src/api/v2"]), Issue(2, folders: ["src/api"]), [])
            .ShouldBe([new FootprintConflict("folder", "src/api/v2/ in src/api/", "#1's folder src/api/v2/ is inside #2's folder src/api/")]);
        WavePlanner.Conflicts(Issue(1, folders: ["docs"]), Issue(2, folders: ["docs/"]), [])
            .ShouldBe([new FootprintConflict("folder", "docs/", "both change the folder docs/")]);
    }

    [Fact]
    public void A_folder_is_not_a_prefix_of_a_sibling_with_a_longer_name()
    {
        WavePlanner.Conflicts(Issue(1, ["src/apiary/hive.cs"]), Issue(2, folders: ["src/api"]), []).ShouldBeEmpty();
        WavePlanner.Conflicts(Issue(1, folders: ["src/apiary"]), Issue(2, folders: ["src/api"]), []).ShouldBeEmpty();
    }

    [Fact]
    public void Different_files_under_a_folder_marked_shared_conflict_and_the_same_files_elsewhere_do_not()
    {
        var a = Issue(3, ["db/schema/users.sql"]);
        var b = Issue(4, ["db/schema/orders.sql"]);
        WavePlanner.Conflicts(a, b, []).ShouldBeEmpty();
        WavePlanner.Conflicts(a, b, ["db/schema"])
            .ShouldBe([new FootprintConflict("shared-folder", "db/schema/", "both touch db/schema/, a folder marked shared")]);
        WavePlanner.Conflicts(a, Issue(5, ["src/app.cs"]), ["db/schema"]).ShouldBeEmpty();
    }

    [Fact]
    public void A_folder_that_holds_a_shared_folder_touches_it()
    {
        WavePlanner.Conflicts(Issue(3, folders: ["db"]), Issue(4, ["db/schema/orders.sql"]), ["db/schema/", "config/"])
            .ShouldBe([
                new FootprintConflict("folder", "db/schema/orders.sql in db/", "#4 changes db/schema/orders.sql inside #3's folder db/"),
                new FootprintConflict("shared-folder", "db/schema/", "both touch db/schema/, a folder marked shared"),
            ]);
    }

    [Fact]
    public void Two_issues_with_migrations_conflict_even_on_different_files()
    {
        WavePlanner.Conflicts(Issue(7, ["a.cs"], migrations: ["add users"]), Issue(8, ["b.cs"], migrations: ["add orders", "index orders"]), [])
            .ShouldBe([new FootprintConflict("migration", "#7: add users; #8: add orders, index orders", "both change the schema or add migrations (#7: add users; #8: add orders, index orders)")]);
        WavePlanner.Conflicts(Issue(7, migrations: ["add users"]), Issue(8), []).ShouldBeEmpty();
    }

    [Fact]
    public void An_issue_that_needs_the_other_conflicts_with_it_in_either_argument_order()
    {
        var expected = new FootprintConflict("needs", "#14 needs #12", "#14 needs #12's result");
        WavePlanner.Conflicts(Issue(14, needs: [12]), Issue(12), []).ShouldBe([expected]);
        WavePlanner.Conflicts(Issue(12), Issue(14, needs: [12]), []).ShouldBe([expected]);
    }

    [Fact]
    public void Every_kind_that_applies_is_listed_once_in_a_fixed_order()
    {
        var c = WavePlanner.Conflicts(
            Issue(1, ["db/a.sql", "db/b.sql"], ["db/"], ["m1"], [2]),
            Issue(2, ["db/a.sql"], migrations: ["m2"]),
            ["db"]);
        c.Select(x => x.Kind).ShouldBe(["needs", "file", "folder", "shared-folder", "migration"]);
        c[2].Detail.ShouldBe("db/a.sql in db/");
    }

    [Fact]
    public void Issues_with_nothing_in_common_do_not_conflict()
    {
        WavePlanner.Conflicts(Issue(1, ["a.cs"], ["docs/"]), Issue(2, ["b.cs"], ["src/"]), ["db/"]).ShouldBeEmpty();
    }

    [Fact]
    public void Conflicts_refuses_a_footprint_with_a_path_outside_the_repository()
    {
        Should.Throw<PlanException>(() => WavePlanner.Conflicts(Issue(1, ["../a.cs"]), Issue(2), []))
            .Message.ShouldBe("#1: files[0]: \"../a.cs\" contains \"..\"; footprint paths stay inside the repository and are relative to its root");
    }
}
