using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team.Plan;

/// <summary>A person may split or join bundles in plan.json; reading it checks what they wrote.</summary>
public sealed class TeamPlanFileBundleTests : IDisposable
{
    // #3 and #5 both change src/a.cs and are one bundle in wave 1; #7 needs #3 and runs in wave 2; #9 is taken.
    private const string Valid = """
        {
          "version": 1,
          "repo": "acme/shop",
          "base": "main",
          "forge": { "kind": "local", "path": "/tmp/forge" },
          "created_at": "2026-11-22T10:00:00Z",
          "overlap": "bundle",
          "squad": { "developer": { "provider": "claude" }, "reviewer": { "provider": "codex" }, "sdet": { "provider": "claude" } },
          "checks": { "command": "make test", "wait_seconds": 600 },
          "issues": [
            { "number": 3, "title": "Users endpoint", "footprint": { "files": ["src/a.cs"] } },
            { "number": 5, "title": "Users paging", "footprint": { "files": ["src/a.cs"] } },
            { "number": 7, "title": "Footer", "footprint": { "files": ["web/footer.html"], "needs": [3] } },
            { "number": 9, "title": "Old work", "footprint": { "files": ["src/a.cs"] }, "taken": { "reason": "open pull request #12" } }
          ],
          "waves": [
            { "wave": 1, "issues": [3, 5] },
            { "wave": 2, "issues": [7] }
          ],
          "bundles": [
            { "issues": [3, 5], "shared_files": ["src/a.cs"] }
          ]
        }

        """;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string[], string[]> Cases() => new()
    {
        { "a bundle of one issue", ["\"issues\": [3, 5], \"shared", "\"issues\": [3], \"shared"], ["plan.json:17:32: $.waves[0].issues[1]: issues #3 and #5 are both in wave 1 but both change src/a.cs: move one to a later wave or edit their footprints", "plan.json:21:17: $.bundles[0].issues: a bundle has two or more issues; to split it, remove the bundle (its issues then run as their own squads)"] },
        { "a bundle naming an unknown issue", ["[3, 5], \"shared", "[3, 5, 11], \"shared"], ["plan.json:21:24: $.bundles[0].issues[2]: bundle 1 names #11, which is not in issues; add the issue or remove it from the bundle"] },
        { "a bundle with a taken issue", ["[3, 5], \"shared", "[3, 5, 9], \"shared"], ["plan.json:21:24: $.bundles[0].issues[2]: #9 is taken (open pull request #12); a bundle never includes a taken issue: remove it from the bundle"] },
        {
            "an issue in two bundles", ["{ \"issues\": [3, 5], \"shared_files\": [\"src/a.cs\"] }", "{ \"issues\": [3, 5] }, { \"issues\": [5, 7] }"],
            [
                "plan.json:21:39: $.bundles[1].issues: a bundle's issues run together, in one wave, but #5 is in wave 1, #7 is in wave 2: put them in one wave",
                "plan.json:21:40: $.bundles[1].issues[0]: #5 is in bundle 1 and again in bundle 2; an issue is in one bundle: join the bundles or remove it from one",
            ]
        },
        {
            "a bundle split over two waves", ["\"issues\": [3, 5] }", "\"issues\": [3] }", "\"issues\": [7] }", "\"issues\": [5, 7] }"],
            ["plan.json:21:17: $.bundles[0].issues: a bundle's issues run together, in one wave, but #3 is in wave 1, #5 is in wave 2: put them in one wave"]
        },
        {
            "a split bundle whose issues stay in one wave conflicts", ["{ \"issues\": [3, 5], \"shared_files\": [\"src/a.cs\"] }", ""],
            ["plan.json:17:32: $.waves[0].issues[1]: issues #3 and #5 are both in wave 1 but both change src/a.cs: move one to a later wave or edit their footprints"]
        },
        { "an empty checks command", ["\"make test\"", "\" \""], ["plan.json:9:26: $.checks.command: an empty checks command; write null for no checks"] },
        { "a misspelt overlap", ["\"overlap\": \"bundle\"", "\"overlap\": \"bundel\""], ["plan.json:7:14: $.overlap: unknown value \"bundel\"; expected one of: bundle, serialize; did you mean \"bundle\"?"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_checks_the_bundles_a_person_edited(string name, string[] edits, string[] expected)
    {
        var text = Valid;
        for (var i = 0; i < edits.Length; i += 2)
        {
            text.Split(edits[i]).Length.ShouldBe(2, $"{name}: the edit \"{edits[i]}\" must match the valid plan exactly once");
            text = text.Replace(edits[i], edits[i + 1], StringComparison.Ordinal);
        }

        var file = _dir.Write("plan.json", text);
        Should.Throw<PlanException>(() => TeamPlanFile.Load(file, "plan.json")).Problems.ShouldBe(expected, name);
    }

    [Fact]
    public void A_bundle_may_share_a_wave_and_a_file_and_a_need_inside_it_and_joining_two_issues_makes_a_bundle()
    {
        var plan = TeamPlanFile.Load(_dir.Write("plan.json", Valid), "plan.json");
        plan.Bundles.ShouldHaveSingleItem().Issues.ShouldBe([3, 5]);
        plan.Overlap.ShouldBe("bundle");
        plan.Checks.ShouldBe(new ChecksSettings("make test", 600));

        // Joined by hand: #7 into the bundle (in wave 1), though it needs #3.
        var joined = Valid.Replace("\"issues\": [3, 5] }", "\"issues\": [3, 5, 7] }", StringComparison.Ordinal)
            .Replace("{ \"wave\": 2, \"issues\": [7] }", "{ \"wave\": 2, \"issues\": [] }", StringComparison.Ordinal)
            .Replace("\"issues\": [3, 5], \"shared", "\"issues\": [3, 5, 7], \"shared", StringComparison.Ordinal);
        TeamPlanFile.Load(_dir.Write("joined.json", joined), "joined.json").Bundles.ShouldHaveSingleItem().Issues.ShouldBe([3, 5, 7]);
    }

    [Fact]
    public void The_plan_table_shows_each_bundle_with_the_shared_files_as_the_reason()
    {
        var plan = TeamPlanFile.Load(_dir.Write("plan.json", Valid), "plan.json");

        PlanTable.Render(plan).ShouldBe("""
            Plan for acme/shop (base main, forge local): 3 issues in 2 waves, 1 taken

            Wave  Issue  Title
            ----  -----  ---------------------------
            1     #3     Users endpoint  [bundle #3]
                  #5     Users paging  [bundle #3]
            2     #7     Footer

            Bundles (one squad, one branch, one pull request closing each):
              #3 and #5 are one bundle (one squad, one pull request): both change src/a.cs

            Taken (never started):
              #9  Old work: open pull request #12

            """);
    }
}
