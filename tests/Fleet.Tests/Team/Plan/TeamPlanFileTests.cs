using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team.Plan;

/// <summary>
/// plan.json round trips, and every problem a person can make by editing it is reported at its line:col with what
/// to do. The expected positions were counted on the input text, not copied from the output.
/// </summary>
public sealed class TeamPlanFileTests : IDisposable
{
    // Issues #3 and #5 both change src/a.cs; #7 needs #3; #9 is taken.
    private const string Valid = """
        {
          "version": 1,
          "repo": "acme/shop",
          "base": "main",
          "forge": { "kind": "github", "path": null },
          "created_at": "2026-11-22T10:00:00Z",
          "shared_folders": ["db/"],
          "squad": {
            "developer": { "provider": "claude", "model": null, "reasoning_effort": null },
            "reviewer": { "provider": "codex", "model": "gpt-5.2", "reasoning_effort": "high" },
            "sdet": { "provider": "claude" },
            "max_iterations": 3,
            "reviewer_lgtm_count": 1,
            "cost_cap_usd": 5.5
          },
          "issues": [
            { "number": 3, "title": "Users endpoint", "url": "https://github.com/acme/shop/issues/3", "footprint": { "files": ["src/a.cs"], "folders": [], "migrations": [], "needs": [] } },
            { "number": 5, "title": "Users paging", "url": "https://github.com/acme/shop/issues/5", "footprint": { "files": ["src/a.cs"], "needs": [] } },
            { "number": 7, "title": "Footer", "url": "u7", "footprint": { "files": ["web/footer.html"], "needs": [3] } },
            { "number": 9, "title": "Old work", "url": "u9", "footprint": {}, "taken": { "reason": "open pull request #12", "url": "https://github.com/acme/shop/pull/12" } }
          ],
          "waves": [
            { "wave": 1, "issues": [3] },
            { "wave": 2, "issues": [5, 7] }
          ],
          "serializations": [],
          "notes": [],
          "retro": null,
          "doctrine": null
        }

        """;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string[], string[]> Cases() => new()
    {
        { "empty file", ["*", ""], ["plan.json:1:1: $: invalid JSON: the file is empty; a plan.json is a JSON object (make one with: fleet team plan)"] },
        { "trailing comma", ["\"doctrine\": null\n}", "\"doctrine\": null,\n}"], ["plan.json:30:1: $: invalid JSON: The JSON object contains a trailing comma at the end which is not supported in this mode. Change the reader options"] },
        { "misspelt top-level key", ["\"shared_folders\"", "\"shared_folder\""], ["plan.json:7:3: $.shared_folder: unknown key \"shared_folder\"; did you mean \"shared_folders\"?"] },
        { "misspelt squad key", ["\"max_iterations\": 3", "\"max_iteration\": 3"], ["plan.json:12:5: $.squad.max_iteration: unknown key \"max_iteration\"; did you mean \"max_iterations\"?"] },
        { "missing key", ["  \"base\": \"main\",\n", ""], ["plan.json:1:1: $: missing required key \"base\""] },
        { "version as a string", ["\"version\": 1", "\"version\": \"1\""], ["plan.json:2:14: $.version: expected an integer, found a string (\"1\")"] },
        { "issue number with a fraction", ["\"number\": 3,", "\"number\": 3.0,"], ["plan.json:17:17: $.issues[0].number: expected an integer, found a number (3.0)"] },
        { "unsupported version", ["\"version\": 1", "\"version\": 2"], ["plan.json:2:14: $.version: unsupported plan version 2; this fleet reads version 1"] },
        { "unknown forge", ["\"kind\": \"github\"", "\"kind\": \"gitlab\""], ["plan.json:5:22: $.forge.kind: unknown value \"gitlab\"; expected one of: github, local; did you mean \"github\"?"] },
        { "misspelt provider", ["\"provider\": \"codex\"", "\"provider\": \"codx\""], ["plan.json:10:31: $.squad.reviewer.provider: unknown value \"codx\"; expected one of: claude, codex; did you mean \"codex\"?"] },
        { "effort the provider refuses", ["\"reasoning_effort\": \"high\"", "\"reasoning_effort\": \"max\""], ["plan.json:10:80: $.squad.reviewer.reasoning_effort: codex does not accept reasoning effort \"max\"; use one of: minimal, low, medium, high, xhigh"] },
        { "misspelt effort", ["\"reasoning_effort\": \"high\"", "\"reasoning_effort\": \"hihg\""], ["plan.json:10:80: $.squad.reviewer.reasoning_effort: unknown value \"hihg\"; expected one of: minimal, low, medium, high, xhigh, max, or null; did you mean \"high\"?"] },
        { "no iterations", ["\"max_iterations\": 3", "\"max_iterations\": 0"], ["plan.json:12:23: $.squad.max_iterations: must be at least 1, found 0"] },
        { "zero cost cap", ["\"cost_cap_usd\": 5.5", "\"cost_cap_usd\": 0"], ["plan.json:14:21: $.squad.cost_cap_usd: must be greater than 0, found 0; write null for no cap"] },
        { "not a date", ["2026-11-22T10:00:00Z", "yesterday"], ["plan.json:6:17: $.created_at: \"yesterday\" is not a date and time; write it like 2026-01-31T12:00:00Z"] },
        { "footprint path leaving the repository", ["\"files\": [\"src/a.cs\"], \"folders\"", "\"files\": [\"../a.cs\"], \"folders\""], ["plan.json:17:120: $.issues[0].footprint.files[0]: \"../a.cs\" contains \"..\"; footprint paths stay inside the repository and are relative to its root"] },
        { "issue that needs itself", ["\"needs\": [3]", "\"needs\": [7]"], ["plan.json:19:107: $.issues[2].footprint.needs[0]: #7 needs itself; remove this need"] },
        {
            "issue listed twice", ["\"number\": 7", "\"number\": 5"],
            [
                "plan.json:19:17: $.issues[2].number: #5 is listed twice (first at line 18); list each issue once",
                "plan.json:24:32: $.waves[1].issues[1]: wave 2 names #7, which is not in issues; add the issue or remove it from the wave",
            ]
        },
        { "waves out of order", ["{ \"wave\": 2,", "{ \"wave\": 3,"], ["plan.json:24:15: $.waves[1].wave: waves are numbered 1, 2, 3... in order: this is wave 2, found 3"] },
        { "wave naming an unknown issue", ["\"issues\": [3] }", "\"issues\": [3, 11] }"], ["plan.json:23:32: $.waves[0].issues[1]: wave 1 names #11, which is not in issues; add the issue or remove it from the wave"] },
        { "issue in two waves", ["[5, 7]", "[5, 7, 3]"], ["plan.json:24:35: $.waves[1].issues[2]: #3 is in wave 1 and again in wave 2; an issue runs once: remove one"] },
        { "taken issue in a wave", ["\"issues\": [3] }", "\"issues\": [3, 9] }"], ["plan.json:23:32: $.waves[0].issues[1]: #9 is taken (open pull request #12: https://github.com/acme/shop/pull/12); a taken issue never runs: remove it from wave 1"] },
        {
            "needed issue in the same wave", ["\"issues\": [3] }", "\"issues\": [3, 7] }", "[5, 7]", "[5]"],
            ["plan.json:23:32: $.waves[0].issues[1]: #7 needs #3, but #3 is in wave 1, not before wave 1: move #7 to a later wave or #3 to an earlier one"]
        },
        { "needed issue in no wave", ["\"issues\": [3] }", "\"issues\": [] }"], ["plan.json:24:32: $.waves[1].issues[1]: #7 needs #3, which is in no wave: put #3 in a wave before wave 2, or remove the need"] },
        {
            "two conflicting issues in one wave", ["\"issues\": [3] }", "\"issues\": [3, 5] }", "[5, 7]", "[7]"],
            ["plan.json:23:32: $.waves[0].issues[1]: issues #3 and #5 are both in wave 1 but both change src/a.cs: move one to a later wave or edit their footprints"]
        },
        {
            "conflict found through a shared folder", ["\"files\": [\"web/footer.html\"]", "\"files\": [\"db/footer.sql\"]", "\"files\": [\"src/a.cs\"], \"needs\": []", "\"files\": [\"db/users.sql\"], \"needs\": []"],
            ["plan.json:24:32: $.waves[1].issues[1]: issues #5 and #7 are both in wave 2 but both touch db/, a folder marked shared: move one to a later wave or edit their footprints"]
        },
        {
            "several problems, in file order", ["\"version\": 1", "\"version\": 2", "[5, 7]", "[5, 7, 3]"],
            [
                "plan.json:2:14: $.version: unsupported plan version 2; this fleet reads version 1",
                "plan.json:24:35: $.waves[1].issues[2]: #3 is in wave 1 and again in wave 2; an issue runs once: remove one",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_reports_each_problem_of_an_edited_plan_at_its_line_and_column(string name, string[] edits, string[] expected)
    {
        var text = Valid;
        for (var i = 0; i < edits.Length; i += 2)
        {
            if (edits[i] == "*")
            {
                text = edits[i + 1];
                continue;
            }

            text.Split(edits[i]).Length.ShouldBe(2, $"{name}: the edit \"{edits[i]}\" must match the valid plan exactly once");
            text = text.Replace(edits[i], edits[i + 1], StringComparison.Ordinal);
        }

        var file = _dir.Write("plan.json", text);
        Should.Throw<PlanException>(() => TeamPlanFile.Load(file, "plan.json")).Problems.ShouldBe(expected, name);
    }

    [Fact]
    public void The_valid_plan_loads_with_its_values_and_footprints_in_normal_form()
    {
        var plan = TeamPlanFile.Load(_dir.Write("plan.json", Valid.Replace("[\"web/footer.html\"]", "[\"./web\\\\footer.html\"]", StringComparison.Ordinal)));

        plan.Repo.ShouldBe("acme/shop");
        plan.Forge.ShouldBe(new ForgeSettingsRecord("github", null));
        plan.CreatedAt.ShouldBe(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        plan.Squad.Reviewer.ShouldBe(new RoleSettings("codex", "gpt-5.2", "high"));
        plan.Squad.Sdet.ShouldBe(new RoleSettings("claude"));
        plan.Squad.CostCapUsd.ShouldBe(5.5m);
        plan.Issues.Select(i => i.Number).ShouldBe([3, 5, 7, 9]);
        plan.Issues[2].Footprint.Files.ShouldBe(["web/footer.html"]);
        plan.Issues[2].Footprint.Needs.ShouldBe([3]);
        plan.Issues[3].Taken.ShouldBe(new TakenBy("open pull request #12", "https://github.com/acme/shop/pull/12"));
        plan.Waves.Select(w => string.Join(' ', w.Issues)).ShouldBe(["3", "5 7"]);
    }

    [Fact]
    public void A_person_may_move_issues_between_waves_as_long_as_conflicts_stay_apart_and_needs_earlier()
    {
        var edited = Valid
            .Replace("{ \"wave\": 1, \"issues\": [3] },", "{ \"wave\": 1, \"issues\": [5] },", StringComparison.Ordinal)
            .Replace("{ \"wave\": 2, \"issues\": [5, 7] }", "{ \"wave\": 2, \"issues\": [3] },\n    { \"wave\": 3, \"issues\": [7] }", StringComparison.Ordinal);

        var plan = TeamPlanFile.Load(_dir.Write("plan.json", edited));

        plan.Waves.Select(w => $"{w.Wave}: {string.Join(' ', w.Issues)}").ShouldBe(["1: 5", "2: 3", "3: 7"]);
    }

    [Fact]
    public void The_example_plan_in_docs_team_plan_md_loads()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Docs, "team-plan.md"));
        var start = doc.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
        var example = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];

        var plan = TeamPlanFile.Load(_dir.Write("plan.json", example));

        plan.Waves.Select(w => string.Join(' ', w.Issues)).ShouldBe(["12", "14"]);
        plan.Issues.Single(i => i.Number == 9).Taken.ShouldNotBeNull();
    }

    [Fact]
    public void Load_names_a_missing_file_and_how_to_make_one()
    {
        Should.Throw<PlanException>(() => TeamPlanFile.Load(_dir.Combine("nope.json"), "nope.json"))
            .Message.ShouldBe("nope.json: no such file (make one with: fleet team plan)");
    }

    [Fact]
    public void A_created_plan_saved_and_loaded_again_is_the_same_plan()
    {
        var plan = TeamPlan.Create(
            "acme/shop",
            "main",
            new ForgeSettingsRecord("local", "/tmp/forge"),
            new DateTimeOffset(2026, 11, 22, 10, 30, 0, TimeSpan.FromHours(1)),
            ["db"],
            new SquadSettings(new RoleSettings("claude", "sonnet", "high"), new RoleSettings("codex", null, "xhigh"), new RoleSettings("claude")) { CostCapUsd = 12.5m, MaxIterations = 4 },
            [
                new PlannedIssue(14, "Orders need users", "u14", new IssueFootprint(14, ["src/orders.cs"], [], [], [12, 20])),
                new PlannedIssue(12, "Users", "u12", new IssueFootprint(12, ["./src/users.cs"], ["db"], ["add users"], [])),
                new PlannedIssue(15, "Users paging", "u15", new IssueFootprint(15, ["src/users.cs"], [], [], [])),
                new PlannedIssue(20, "Old", "u20", new IssueFootprint(20, [], [], [], []), new TakenBy("open pull request #31", "https://x/pull/31")),
            ],
            retro: "https://github.com/acme/shop/issues/40",
            doctrine: ".fleet/doctrine.md");
        var file = _dir.Combine("out", "plan.json");

        TeamPlanFile.Save(plan, file);
        var loaded = TeamPlanFile.Load(file);

        TeamPlanFile.ToJson(loaded).ShouldBe(TeamPlanFile.ToJson(plan));
        File.ReadAllText(file).ShouldBe(TeamPlanFile.ToJson(plan));
        Directory.GetFiles(_dir.Combine("out")).ShouldBe([file]);
        loaded.CreatedAt.ShouldBe(plan.CreatedAt);
        loaded.CreatedAt.Offset.ShouldBe(TimeSpan.FromHours(1));
        loaded.Forge.ShouldBe(new ForgeSettingsRecord("local", "/tmp/forge"));
        loaded.Squad.ShouldBe(plan.Squad);
        loaded.Issues.ShouldBe(plan.Issues, ignoreOrder: false, comparer: IssueComparer.Instance);
        loaded.Waves.Select(w => string.Join(' ', w.Issues)).ShouldBe(["12", "14 15"]);
        loaded.Serializations.ShouldBe([
            new Serialization(14, 12, "needs", "#14 needs #12", "#14 waits for #12: it needs #12's result"),
            new Serialization(15, 12, "file", "src/users.cs", "#15 runs after #12: both change src/users.cs"),
        ]);
        loaded.Notes.ShouldBe(["#14 needs #20, which is taken (someone is already on it): that need is ignored"]);
        loaded.Retro.ShouldBe("https://github.com/acme/shop/issues/40");
        loaded.Doctrine.ShouldBe(".fleet/doctrine.md");
    }

    [Fact]
    public void The_saved_file_is_indented_snake_case_with_readable_apostrophes()
    {
        var plan = TeamPlan.Create("r", "main", new ForgeSettingsRecord("github", null), DateTimeOffset.UnixEpoch, [], SquadSettings.Default,
            [new PlannedIssue(1, "A", "u1", new IssueFootprint(1, [], [], [], [])), new PlannedIssue(2, "B", "u2", new IssueFootprint(2, [], [], [], [1]))]);

        var json = TeamPlanFile.ToJson(plan);

        json.ShouldContain("\n  \"created_at\": \"1970-01-01T00:00:00.0000000+00:00\",\n");
        json.ShouldContain("\"reviewer_lgtm_count\": 1");
        json.ShouldContain("\"reason\": \"#2 waits for #1: it needs #1's result\"");
        json.ShouldContain("\"taken\": null");
    }

    [Fact]
    public void Create_refuses_an_issue_whose_footprint_is_for_another_issue()
    {
        Should.Throw<PlanException>(() => TeamPlan.Create("r", "main", new ForgeSettingsRecord("github", null), DateTimeOffset.UnixEpoch, [], SquadSettings.Default,
                [new PlannedIssue(1, "A", "u1", new IssueFootprint(2, [], [], [], []))]))
            .Message.ShouldBe("#1: its footprint is for #2; a footprint's issue is the issue it belongs to");
    }

    /// <summary>Issues compare by value, footprint lists included (records compare lists by reference).</summary>
    private sealed class IssueComparer : IEqualityComparer<PlannedIssue>
    {
        public static readonly IssueComparer Instance = new();

        public bool Equals(PlannedIssue? x, PlannedIssue? y) =>
            x is not null && y is not null && x.Number == y.Number && x.Title == y.Title && x.Url == y.Url && x.Taken == y.Taken
            && x.Footprint.Issue == y.Footprint.Issue && x.Footprint.Files.SequenceEqual(y.Footprint.Files) && x.Footprint.Folders.SequenceEqual(y.Footprint.Folders)
            && x.Footprint.Migrations.SequenceEqual(y.Footprint.Migrations) && x.Footprint.Needs.SequenceEqual(y.Footprint.Needs);

        public int GetHashCode(PlannedIssue obj) => obj.Number;
    }
}
