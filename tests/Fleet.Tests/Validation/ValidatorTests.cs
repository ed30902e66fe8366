using Fleet.Spec;
using Fleet.Tests.Infrastructure;
using Fleet.Validation;

namespace Fleet.Tests.Validation;

public sealed class ValidatorTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("iterative")]
    [InlineData("dag-commands")]
    [InlineData("worktree")]
    [InlineData("flywheel")]
    public void The_shipped_examples_are_valid_without_warnings(string example)
    {
        var result = FleetValidator.ValidatePath(Path.Combine(RepoPaths.Examples, example));

        result.Diagnostics.ShouldBeEmpty();
        result.IsValid.ShouldBeTrue();
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_file_order()
    {
        const string json = """
            {
              "fleet_name": "Bad Name",
              "type": "dag",
              "config": { "max_concurent": 3, "cost_cap_usd": -2 },
              "workers": [
                { "id": "a", "type": "code-run", "task": "t", "depends_on": ["b"] },
                { "id": "b", "type": "code-run", "task": "t", "depends_on": ["a", "zzz"] }
              ]
            }
            """;

        var errors = FleetValidator.Validate(json, "f.json", _root.Path).Errors.Select(e => $"{e.Line}:{e.Column} {e.JsonPath}").ToList();

        errors.ShouldBe([
            "2:17 $.fleet_name",
            "4:15 $.config.max_concurent",
            "4:51 $.config.cost_cap_usd",
            "6:65 $.workers[0].depends_on",
            "7:71 $.workers[1].depends_on[1]",
        ]);
    }

    [Fact]
    public void A_worker_without_task_or_prompt_file_gets_a_warning_but_the_fleet_is_valid()
    {
        const string json = """{ "fleet_name": "f", "type": "dag", "workers": [ { "id": "a", "type": "code-run" } ] }""";

        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);

        result.IsValid.ShouldBeTrue();
        result.Warnings.Single().ToString().ShouldBe("fleet.json:1:50: $.workers[0]: warning: worker \"a\" has no task and workers/a/prompt.md does not exist: it would start with an empty brief");
    }

    [Fact]
    public void A_prompt_file_replaces_the_task_so_no_warning_is_given()
    {
        _root.Write("workers/a/prompt.md", "do it");
        const string json = """{ "fleet_name": "f", "type": "dag", "workers": [ { "id": "a", "type": "code-run" } ] }""";

        FleetValidator.Validate(json, "fleet.json", _root.Path).Diagnostics.ShouldBeEmpty();
    }

    [Fact]
    public void A_model_of_another_provider_and_ignored_stop_rules_are_warnings()
    {
        const string json = """
            { "fleet_name": "f", "type": "dag", "stop_when": { "max_iterations": 3 },
              "workers": [ { "id": "a", "type": "code-run", "task": "t", "model": "gpt-5-codex" } ] }
            """;

        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);

        result.IsValid.ShouldBeTrue();
        result.Warnings.Select(w => w.Message).ShouldBe([
            "a dag fleet runs one pass; max_iterations is ignored",
            "\"gpt-5-codex\" looks like a model of another provider, but this worker's provider is claude",
        ]);
    }

    [Fact]
    public void Worker_settings_fall_back_to_config_and_then_to_defaults()
    {
        const string json = """
            { "fleet_name": "f", "type": "iterative",
              "config": { "provider": "codex", "model": "gpt-5-codex", "reasoning_effort": "high", "max_iterations": 4 },
              "workers": [
                { "id": "a", "type": "code-run", "task": "t" },
                { "id": "b", "type": "code-run", "task": "t", "provider": "claude", "model": "opus", "reasoning_effort": "max", "max_budget_per_iter": 0.5 },
                { "id": "r", "type": "reviewer", "task": "t", "depends_on": ["a", "b"] }
              ] }
            """;

        var fleet = FleetValidator.Validate(json, "fleet.json", _root.Path).Fleet!;

        fleet.Worker("a").ShouldBe(new ResolvedWorker("a", WorkerType.CodeRun, Provider.Codex, "gpt-5-codex", null, ReasoningEffort.High, null, PermissionMode.AcceptEdits, "t", [], []), new WorkerComparer());
        fleet.Worker("b").Provider.ShouldBe(Provider.Claude);
        fleet.Worker("b").Model.ShouldBe("opus");
        fleet.Worker("b").ReasoningEffort.ShouldBe(ReasoningEffort.Max);
        fleet.Worker("b").MaxBudgetPerIter.ShouldBe(0.5m);
        fleet.MaxConcurrent.ShouldBe(FleetDefaults.MaxConcurrent);
        fleet.StopRules.ShouldBe(new EffectiveStopRules(ReviewerLgtmCount: 1, MaxIterations: 4, CostCapUsd: null));
    }

    [Fact]
    public void Stop_when_wins_over_config_and_a_conflict_is_a_warning()
    {
        const string json = """
            { "fleet_name": "f", "type": "iterative", "config": { "max_iterations": 4, "cost_cap_usd": 2 },
              "stop_when": { "max_iterations": 6, "cost_cap_usd": 3, "reviewer_lgtm_count": 2 },
              "workers": [ { "id": "a", "type": "code-run", "task": "t" }, { "id": "r", "type": "reviewer", "task": "t", "depends_on": ["a"] } ] }
            """;

        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);

        result.Fleet!.StopRules.ShouldBe(new EffectiveStopRules(2, 6, 3m));
        result.Warnings.Count().ShouldBe(2);
    }

    [Fact]
    public void A_reviewer_that_reaches_every_code_run_worker_through_others_is_valid()
    {
        const string json = """
            { "fleet_name": "f", "type": "iterative", "workers": [
              { "id": "a", "type": "code-run", "task": "t" },
              { "id": "b", "type": "code-run", "task": "t", "depends_on": ["a"] },
              { "id": "r", "type": "reviewer", "task": "t", "depends_on": ["b"] } ] }
            """;

        FleetValidator.Validate(json, "fleet.json", _root.Path).IsValid.ShouldBeTrue();
    }

    [Fact]
    public void A_missing_file_is_named_in_the_error()
    {
        Should.Throw<FleetNotFoundException>(() => FleetValidator.ValidatePath(_root.Combine("nope"), "nope")).Message.ShouldBe("nope: no such file or folder");
        Should.Throw<FleetNotFoundException>(() => FleetValidator.ValidatePath(_root.Path, "here")).Message.ShouldBe("no fleet.json in here (create one with: fleet init here --type iterative)");
    }

    [Theory]
    [InlineData("max_concurent", "max_concurrent")]
    [InlineData("maxConcurrent", "max_concurrent")]
    [InlineData("depends-on", "depends_on")]
    [InlineData("reviwer", "reviewer")]
    [InlineData("zzz", null)]
    [InlineData("c", null)]
    public void Did_you_mean_suggests_close_words_only(string typed, string? expected) =>
        DidYouMean.Suggest(typed, ["max_concurrent", "depends_on", "reviewer", "a", "b"]).ShouldBe(expected);

    [Fact]
    public void Positions_count_characters_across_lines()
    {
        var root = (SourceObject)SourceJson.Parse("{\n  \"é\": {\n\t\"x\": [1, \"ü\", true]\n  }\n}");

        var inner = (SourceObject)root.Properties[0].Value;
        var array = (SourceArray)inner.Properties[0].Value;
        (inner.Line, inner.Column).ShouldBe((2, 8));
        (array.Items[1].Line, array.Items[1].Column, array.Items[1].Path).ShouldBe((3, 11, "$['é'].x[1]"));
    }

    private sealed class WorkerComparer : IEqualityComparer<ResolvedWorker>
    {
        public bool Equals(ResolvedWorker? x, ResolvedWorker? y) =>
            x is not null && y is not null && x with { DependsOn = [], Command = [] } == y with { DependsOn = [], Command = [] }
            && x.DependsOn.SequenceEqual(y.DependsOn) && x.Command.SequenceEqual(y.Command);

        public int GetHashCode(ResolvedWorker obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
