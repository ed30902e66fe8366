using Fleet.Spec;

namespace Fleet.Tests.Validation;

/// <summary>The placeholder syntax of a command worker's argv: the check and the expansion agree, case by case.</summary>
public sealed class PlaceholdersTests
{
    private static readonly Dictionary<string, string> Values = new(StringComparer.Ordinal)
    {
        ["{iteration}"] = "3",
        ["{prompt_file}"] = "/r/p.md",
        ["{root}"] = "/r",
        ["{worker}"] = "w",
    };

    [Theory]
    [InlineData("{root}/out-{iteration}.txt", "/r/out-3.txt")]
    [InlineData("{{root}}", "{root}")]
    [InlineData("${{HOME}}", "${HOME}")]
    [InlineData("find . -exec rm {} ;", "find . -exec rm {} ;")]
    [InlineData("{ print $1 }", "{ print $1 }")]
    [InlineData("{\"a\": 1}", "{\"a\": 1}")]
    [InlineData("${1}", "${1}")]
    [InlineData("}", "}")]
    [InlineData("{worker}{worker}", "ww")]
    public void Known_placeholders_and_doubled_braces_expand_and_other_braces_stay_text(string arg, string expanded)
    {
        Placeholders.Problems(arg, Values.Keys).ShouldBeEmpty();
        Placeholders.Expand(arg, Values).ShouldBe(expanded);
    }

    [Theory]
    [InlineData("{ROOT}", 0, "{ROOT}")]
    [InlineData("{Iteration}", 0, "{Iteration}")]
    [InlineData("x{unknown}", 1, "{unknown}")]
    [InlineData("out-{iteration", 4, "{iteration")]
    [InlineData("{root/x", 0, "{root")]
    [InlineData("{a_b1}", 0, "{a_b1}")]
    public void Anything_else_that_looks_like_a_placeholder_is_a_problem_at_its_brace(string arg, int index, string text)
    {
        var problem = Placeholders.Problems(arg, Values.Keys).ShouldHaveSingleItem();

        problem.Index.ShouldBe(index);
        problem.Text.ShouldBe(text);
    }
}
