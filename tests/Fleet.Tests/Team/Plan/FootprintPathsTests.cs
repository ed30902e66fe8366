using Fleet.Team;

namespace Fleet.Tests.Team.Plan;

public sealed class FootprintPathsTests
{
    [Theory]
    [InlineData("src/a.cs", false, "src/a.cs")]
    [InlineData("./src/a.cs", false, "src/a.cs")]
    [InlineData("src\\api\\users.cs", false, "src/api/users.cs")]
    [InlineData("  src//api/./users.cs ", false, "src/api/users.cs")]
    [InlineData("src/api", true, "src/api/")]
    [InlineData("src/api/", true, "src/api/")]
    [InlineData("./src/api//", true, "src/api/")]
    [InlineData("[id].tsx", false, "[id].tsx")]
    public void Normalize_writes_paths_repository_relative_with_slashes_and_folders_ending_in_a_slash(string path, bool folder, string expected) =>
        FootprintPaths.Normalize(path, folder).ShouldBe(expected);

    [Theory]
    [InlineData("/etc/passwd", false, "\"/etc/passwd\" is an absolute path; footprint paths are relative to the repository root, e.g. src/app.cs")]
    [InlineData("C:\\repo\\a.cs", false, "\"C:\\repo\\a.cs\" is an absolute path; footprint paths are relative to the repository root, e.g. src/app.cs")]
    [InlineData("~/notes.md", false, "\"~/notes.md\" is an absolute path; footprint paths are relative to the repository root, e.g. src/app.cs")]
    [InlineData("../other/a.cs", false, "\"../other/a.cs\" contains \"..\"; footprint paths stay inside the repository and are relative to its root")]
    [InlineData("src/../../a.cs", true, "\"src/../../a.cs\" contains \"..\"; footprint paths stay inside the repository and are relative to its root")]
    [InlineData("", false, "an empty path; name a file (src/app.cs) or a folder (src/api/)")]
    [InlineData("./", true, "\"./\" names the whole repository; list the files or folders the issue changes")]
    [InlineData("src/api/", false, "\"src/api/\" ends with '/', so it is a folder: list it under folders")]
    [InlineData("src/**/*.cs", false, "\"src/**/*.cs\" is a pattern; list the files, or the folder that holds them (src/)")]
    [InlineData("*.md", false, "\"*.md\" is a pattern; list the files, or the folder that holds them (a folder)")]
    public void Normalize_refuses_paths_that_are_not_repository_relative_with_a_sentence_saying_why(string path, bool folder, string message) =>
        Should.Throw<PlanException>(() => FootprintPaths.Normalize(path, folder)).Message.ShouldBe(message);

    [Fact]
    public void Normalizing_a_footprint_sorts_and_dedupes_every_list_and_reports_every_bad_path_with_its_issue_and_index()
    {
        var normalized = FootprintPaths.Normalize(new IssueFootprint(4, ["./b.cs", "a.cs", "b.cs"], ["src", "src/"], ["002_b", "001_a", "001_a"], [9, 2, 9]));
        normalized.Files.ShouldBe(["a.cs", "b.cs"]);
        normalized.Folders.ShouldBe(["src/"]);
        normalized.Migrations.ShouldBe(["001_a", "002_b"]);
        normalized.Needs.ShouldBe([2, 9]);

        var e = Should.Throw<PlanException>(() => FootprintPaths.Normalize(new IssueFootprint(4, ["ok.cs", "/abs.cs"], ["../up"], [" "], [])));
        e.Problems.ShouldBe([
            "#4: files[1]: \"/abs.cs\" is an absolute path; footprint paths are relative to the repository root, e.g. src/app.cs",
            "#4: folders[0]: \"../up\" contains \"..\"; footprint paths stay inside the repository and are relative to its root",
            "#4: migrations[0]: an empty migration; name the migration or schema change",
        ]);
    }

    [Fact]
    public void A_path_is_within_a_folder_only_when_the_folder_is_a_whole_prefix_of_its_segments()
    {
        FootprintPaths.IsWithin("src/api/users.cs", "src/api/").ShouldBeTrue();
        FootprintPaths.IsWithin("src/api/", "src/api/").ShouldBeTrue();
        FootprintPaths.IsWithin("src/apiary/users.cs", "src/api/").ShouldBeFalse();
        FootprintPaths.IsWithin("src/api", "src/api/").ShouldBeFalse();
    }
}
