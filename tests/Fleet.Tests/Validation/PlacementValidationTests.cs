using Fleet.Spec;
using Fleet.Tests.Infrastructure;
using Fleet.Validation;

namespace Fleet.Tests.Validation;

public sealed class PlacementValidationTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    private IReadOnlyList<string> Problems(string json) =>
        [.. FleetValidator.Validate(json, "fleet.json", _root.Path).Diagnostics.Select(d => d.ToString())];

    [Fact]
    public void A_slurm_fleet_resolves_each_workers_placement_and_merged_sbatch_settings()
    {
        var result = FleetValidator.ValidatePath(Path.Combine(RepoPaths.Examples, "slurm"));

        result.Diagnostics.ShouldBeEmpty();
        var fleet = result.Fleet!;
        fleet.Worker("builder").Placement.ShouldBe(WorkerPlacement.Slurm);
        fleet.Worker("builder").Slurm!.TimeLimit.ShouldBe("none");
        fleet.Worker("docs").Slurm!.TimeLimit.ShouldBe("2:00:00");
        fleet.Worker("docs").Slurm!.Partition.ShouldBe("agents");
        fleet.Worker("check").Placement.ShouldBe(WorkerPlacement.Local);
        fleet.Worker("check").Slurm.ShouldBeNull();
    }

    [Fact]
    public void Bad_slurm_settings_are_errors_at_their_exact_place()
    {
        const string json = """
            {
              "fleet_name": "f", "type": "dag",
              "config": { "placement": "slurm", "slurm": { "partition": "a b", "time_limit": "2h" } },
              "workers": [
                { "id": "a", "type": "code-run", "task": "t", "slurm": { "extra_args": ["--requeue", "x"] } },
                { "id": "b", "type": "code-run", "task": "t", "placement": "cloud" }
              ]
            }
            """;

        var problems = Problems(json);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', problems));
        problems.ShouldBe([
            "fleet.json:3:61: $.config.slurm.partition: \"a b\" does not match the pattern ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
            "fleet.json:3:82: $.config.slurm.time_limit: \"2h\" is not a Slurm time limit; use minutes (\"90\"), \"HH:MM:SS\", \"D-HH:MM:SS\" or \"none\"",
            "fleet.json:5:77: $.workers[0].slurm.extra_args[0]: fleet sets --requeue itself (never requeued, named after the worker, its output in the iteration folder); remove it",
            "fleet.json:5:90: $.workers[0].slurm.extra_args[1]: \"x\" is not an sbatch option (extra_args are options such as --mem=4G; the job's command is the worker shim)",
            "fleet.json:6:64: $.workers[1].placement: unknown value \"cloud\"; expected one of: local, slurm",
        ], ignoreOrder: true);
    }

    [Fact]
    public void A_slurm_section_that_no_worker_uses_is_a_warning()
    {
        const string json = """{ "fleet_name": "f", "type": "dag", "config": { "slurm": { "partition": "p" } }, "workers": [ { "id": "a", "type": "code-run", "task": "t", "slurm": {} } ] }""";

        var problems = Problems(json);

        problems.ShouldContain(p => p.Contains("$.config.slurm: warning: no worker has placement slurm; this section has no effect", StringComparison.Ordinal));
        problems.ShouldContain(p => p.Contains("$.workers[0].slurm: warning: worker \"a\" runs locally (placement local); its slurm section has no effect", StringComparison.Ordinal));
    }
}
