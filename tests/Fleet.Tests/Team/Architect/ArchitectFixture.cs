using Fleet.Forge;

namespace Fleet.Tests.Team.Architect;

/// <summary>A small backlog of four issues: #2 needs #1's export, #3 adds a migration, #4 is on its own.</summary>
internal static class ArchitectFixture
{
    public static IReadOnlyList<ForgeIssue> Issues { get; } =
    [
        Issue(1, "Add a CSV exporter", "Reports need a CSV export. Add `CsvExporter` next to the JSON one in src/Export/.", ["feature"]),
        Issue(2, "Serve the export over HTTP", "Expose the CSV export from #1 at GET /export.", ["feature", "api"],
            new ForgeComment("maintainer", "Please reuse the exporter from #1; do not write a second one.", new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero))),
        Issue(3, "Store users", "Add a users table (id, name, email) with a migration.", ["db"]),
        Issue(4, "Fix the README's install line", "The README says `make install`; it is `make setup`.", []),
    ];

    public static IReadOnlyList<string> RepoFiles { get; } =
    [
        "README.md", "db/migrations/001_init.sql", "src/Api/Endpoints.cs", "src/Export/JsonExporter.cs",
    ];

    /// <summary>What the scripted architect answers for <see cref="Issues"/>: the structured_output value.</summary>
    public const string AnswerJson = """
        { "footprints": [
            { "issue": 1, "files": ["src/Export/CsvExporter.cs"], "folders": [], "migrations": [], "needs": [], "why": "" },
            { "issue": 2, "files": ["src/Api/Endpoints.cs"], "folders": [], "migrations": [], "needs": [1], "why": "needs #1: \"Expose the CSV export from #1\"" },
            { "issue": 3, "files": ["db/migrations/002_users.sql"], "folders": ["src/Users/"], "migrations": ["db: add table users"], "needs": [], "why": "" },
            { "issue": 4, "files": ["README.md"], "folders": [], "migrations": [], "needs": [], "why": "" } ] }
        """;

    private static ForgeIssue Issue(int number, string title, string body, IReadOnlyList<string> labels, params ForgeComment[] comments) =>
        new(number, title, body, labels, IssueState.Open, $"https://github.com/acme/shop/issues/{number}", comments);
}
