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
    [InlineData("max_conc", "max_concurrent")]
    [InlineData("perm_mode", "permission_mode")]
    [InlineData("permMode", "permission_mode")]
    [InlineData("stop", "stop_when")]
    [InlineData("max", null)]
    [InlineData("ma_it", "max_iterations")]
    [InlineData("de", null)]
    public void Did_you_mean_suggests_close_words_and_unambiguous_abbreviations_only(string typed, string? expected) =>
        DidYouMean.Suggest(typed, ["max_concurrent", "max_iterations", "depends_on", "reviewer", "permission_mode", "stop_when", "a", "b"]).ShouldBe(expected);

    [Fact]
    public void A_misspelled_key_is_the_only_error_not_the_rules_that_miss_it()
    {
        const string json = """
            { "fleet_name": "f", "type": "iterative", "workers": [
              { "id": "a", "type": "code-run", "task": "t" },
              { "id": "r", "type": "reviewer", "task": "t", "depend_on": ["a"] } ] }
            """;

        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);

        result.Errors.Select(e => e.ToString()).ShouldBe(["fleet.json:3:49: $.workers[1].depend_on: unknown key \"depend_on\"; did you mean \"depends_on\"?"]);
        result.IsValid.ShouldBeFalse();
    }

    [Fact]
    public void A_misspelled_keys_value_is_still_checked_as_the_key_it_misses()
    {
        const string json = """
            { "fleet_name": "f", "type": "dag", "workers": [
              { "id": "a", "type": "code-run", "task": "t", "depend-on": ["nope"] } ] }
            """;

        var errors = FleetValidator.Validate(json, "fleet.json", _root.Path).Errors.Select(e => e.Message).ToList();

        errors.ShouldBe(["unknown key \"depend-on\"; did you mean \"depends_on\"?", "unknown worker \"nope\""]);
    }

    [Fact]
    public void A_required_key_that_is_misspelled_is_not_also_reported_missing()
    {
        const string json = """{ "fleet_name": "f", "type": "dag", "workers": [ { "idd": "a", "type": "code-run", "task": "t" } ] }""";

        FleetValidator.Validate(json, "fleet.json", _root.Path).Errors.Select(e => e.Message).ShouldBe(["unknown key \"idd\"; did you mean \"id\"?"]);
    }

    [Fact]
    public void Shape_errors_come_before_the_rules_between_fields_even_when_later_in_the_file()
    {
        const string json = """
            { "fleet_name": "f", "type": "iterative", "workers": [
              { "id": "a", "type": "code-run", "task": "t" },
              { "id": "r", "type": "reviewer", "task": "t", "needs": ["a"] } ] }
            """;

        var errors = FleetValidator.Validate(json, "fleet.json", _root.Path).Errors.Select(e => e.JsonPath).ToList();

        errors.ShouldBe(["$.workers[1].needs", "$.workers[1]"]);
    }

    [Theory]
    [InlineData("claude", "gpt-5.1-codex", "$.config.model", "\"gpt-5.1-codex\" looks like a model of another provider, but \"a\", \"b\" inherit it and run on claude")]
    [InlineData("codex", "sonnet", "$.config.model", "\"sonnet\" looks like a model of another provider, but \"a\", \"b\" inherit it and run on codex")]
    [InlineData("claude", "sonnet", null, null)]
    [InlineData("codex", "gpt-5.1-codex", null, null)]
    public void A_config_model_is_checked_for_every_provider_that_inherits_it(string provider, string model, string? path, string? message)
    {
        var json = $$"""
            { "fleet_name": "f", "type": "dag", "config": { "provider": "{{provider}}", "model": "{{model}}" }, "workers": [
              { "id": "a", "type": "code-run", "task": "t" },
              { "id": "b", "type": "code-run", "task": "t" },
              { "id": "c", "type": "code-run", "task": "t", "model": "{{(provider == "claude" ? "opus" : "gpt-5.1")}}" },
              { "id": "d", "type": "code-run", "provider": "command", "command": ["true"] } ] }
            """;

        var warnings = FleetValidator.Validate(json, "fleet.json", _root.Path).Warnings.ToList();

        warnings.Select(w => (string?)w.JsonPath).ShouldBe(path is null ? [] : [path]);
        warnings.Select(w => (string?)w.Message).ShouldBe(message is null ? [] : [message]);
    }

    [Fact]
    public void A_fallback_model_of_another_provider_is_flagged_on_claude_workers()
    {
        const string json = """
            { "fleet_name": "f", "type": "dag", "config": { "fallback_model": "gpt-5.1" }, "workers": [
              { "id": "a", "type": "code-run", "task": "t" },
              { "id": "b", "type": "code-run", "task": "t", "fallback_model": "o3" } ] }
            """;

        var warnings = FleetValidator.Validate(json, "fleet.json", _root.Path).Warnings.Select(w => w.JsonPath).ToList();

        warnings.ShouldBe(["$.config.fallback_model", "$.workers[1].fallback_model"]);
    }

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
