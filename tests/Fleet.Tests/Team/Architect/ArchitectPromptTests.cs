using Fleet.Team;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Team.Architect;

public class ArchitectPromptTests
{
    [Fact]
    public void The_brief_for_four_issues_with_shared_folders_doctrine_and_retro_is_pinned()
    {
        var prompt = ArchitectPrompt.Build(
            ArchitectFixture.Issues,
            ArchitectFixture.RepoFiles,
            ["db/migrations/"],
            "- Run `make test` before every commit.\n",
            "Run 3: two squads both edited src/Api/Endpoints.cs and the second had to rebase.\n");

        Golden.Match(prompt, "architect-prompt.md");
    }

    [Fact]
    public void The_brief_lists_only_the_first_files_and_says_how_many_more_there_are()
    {
        var files = Enumerable.Range(0, 10).Select(i => $"src/f{i}.cs").ToList();

        var prompt = ArchitectPrompt.Build(ArchitectFixture.Issues, files, [], maxFiles: 3);

        prompt.ShouldContain("## Repository files (git ls-files: 10)\n\nsrc/f0.cs\nsrc/f1.cs\nsrc/f2.cs\n… and 7 more files not listed here; look them up in the working directory.\n");
        prompt.ShouldNotContain("src/f3.cs");
        prompt.ShouldNotContain("## Shared folders");
        prompt.ShouldNotContain("## Doctrine");
        prompt.ShouldNotContain("## The last retrospective");
    }

    [Fact]
    public void The_brief_names_every_issue_in_scope_in_number_order_whatever_order_they_came_in()
    {
        var prompt = ArchitectPrompt.Build([.. ArchitectFixture.Issues.Reverse()], [], []);

        prompt.ShouldContain("each of the\n4 issues in scope (#1, #2, #3, #4)");
        prompt.IndexOf("# #1 ", StringComparison.Ordinal).ShouldBeLessThan(prompt.IndexOf("# #4 ", StringComparison.Ordinal));
        prompt.ShouldContain("(the repository tracks no files yet)");
    }
}
