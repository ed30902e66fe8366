using System.Text.Json;
using Fleet.Team;

namespace Fleet.Tests.Team.Architect;

public class ArchitectAnswerTests
{
    private static readonly int[] Scope = [1, 2, 3, 4];

    private static ArchitectAnswer? Read(string json, out IReadOnlyList<string> problems)
    {
        using var doc = JsonDocument.Parse(json);
        return ArchitectAnswer.Read(doc.RootElement, Scope, out problems);
    }

    private static string Footprint(int issue, string needs = "[]", string why = "\"\"") =>
        $$"""{ "issue": {{issue}}, "files": [], "folders": [], "migrations": [], "needs": {{needs}}, "why": {{why}} }""";

    [Fact]
    public void An_answer_covering_every_issue_once_is_read_in_issue_order_with_its_evidence()
    {
        var answer = Read(ArchitectFixture.AnswerJson, out var problems);

        problems.ShouldBeEmpty();
        answer.ShouldNotBeNull();
        answer.Footprints.Select(f => f.Issue).ShouldBe([1, 2, 3, 4]);
        answer.Footprints[1].Needs.ShouldBe([1]);
        answer.Footprints[2].Folders.ShouldBe(["src/Users/"]);
        answer.Footprints[2].Migrations.ShouldBe(["db: add table users"]);
        answer.Why[2].ShouldBe("needs #1: \"Expose the CSV export from #1\"");
        answer.Why[4].ShouldBe(string.Empty);
    }

    [Fact]
    public void Missing_duplicated_and_unknown_issues_are_all_reported_at_once()
    {
        var answer = Read($$"""{ "footprints": [ {{Footprint(3)}}, {{Footprint(1)}}, {{Footprint(1)}}, {{Footprint(9)}}, {{Footprint(12)}} ] }""", out var problems);

        answer.ShouldBeNull();
        problems.ShouldBe([
            "footprints for issues not in scope: #9, #12 (in scope: #1, #2, #3, #4)",
            "issue #1 has 2 footprints; expected exactly one",
            "no footprint for issues #2, #4",
        ]);
    }

    [Fact]
    public void Needs_on_itself_or_on_an_issue_out_of_scope_are_refused()
    {
        var answer = Read($$"""{ "footprints": [ {{Footprint(1, "[1]")}}, {{Footprint(2, "[7, 1]")}}, {{Footprint(3)}}, {{Footprint(4)}} ] }""", out var problems);

        answer.ShouldBeNull();
        problems.ShouldBe(["issue #1 needs itself", "issue #2 needs #7, not in scope"]);
    }

    [Theory]
    [InlineData("""{ "plan": [] }""", "$.footprints: expected an array of footprints")]
    [InlineData("""{ "footprints": [ 5 ] }""", "$.footprints[0]: expected an object")]
    [InlineData("""{ "footprints": [ { "issue": "1", "files": [], "folders": [], "migrations": [], "needs": [], "why": "" } ] }""", "$.footprints[0].issue: expected an issue number")]
    [InlineData("""{ "footprints": [ { "issue": 1, "files": ["a", 2], "folders": [], "migrations": [], "needs": [], "why": "" } ] }""", "$.footprints[0].files[1]: expected a string")]
    [InlineData("""{ "footprints": [ { "issue": 1, "files": [], "migrations": [], "needs": ["#2"], "why": "" } ] }""", "$.footprints[0].folders: expected an array")]
    [InlineData("""{ "footprints": [ { "issue": 1, "files": [], "folders": [], "migrations": [], "needs": [], "why": null, "risk": "low" } ] }""", "$.footprints[0].risk: unknown key")]
    public void An_answer_that_breaks_the_schema_names_the_json_path(string json, string expected)
    {
        Read(json, out var problems).ShouldBeNull();

        problems.ShouldContain(expected);
    }
}
