using Fleet.Placement;
using Fleet.Spec;

namespace Fleet.Tests.Placement;

public sealed class SlurmJobTests
{
    [Fact]
    public void The_sbatch_argv_never_requeues_names_the_job_after_the_worker_and_puts_its_output_in_the_iteration_folder()
    {
        var settings = new SlurmSettings("agents", "lab", "none", ["--mem=4G"], null);

        var argv = SlurmJob.SbatchArgv("demo", "/r", "builder", 2, settings, "/r/iterations/2/builder.shim.log", ["fleet", "worker", "--spec", "/r/iterations/2/builder.spec.json"]);

        argv.ShouldBe([
            "sbatch", "--parsable", "--no-requeue", "--job-name=fleet:demo:builder:2", "--comment=fleet-root:/r",
            "--output=/r/iterations/2/builder.shim.log", "--chdir=/r", "--ntasks=1", "--export=ALL",
            "--partition=agents", "--account=lab", "--time=UNLIMITED", "--mem=4G",
            "/r/.fleet/slurm-job.sh", "fleet", "worker", "--spec", "/r/iterations/2/builder.spec.json",
        ]);
    }

    [Fact]
    public void Without_settings_the_cluster_defaults_apply()
    {
        var argv = SlurmJob.SbatchArgv("demo", "/r", "a", 1, SlurmSettings.Default, "/r/iterations/1/a.shim.log", ["fleet"]);

        argv.ShouldNotContain(a => a.StartsWith("--partition", StringComparison.Ordinal) || a.StartsWith("--time", StringComparison.Ordinal) || a.StartsWith("--account", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("90", true)]
    [InlineData("30:00", true)]
    [InlineData("2:00:00", true)]
    [InlineData("1-12", true)]
    [InlineData("1-12:30", true)]
    [InlineData("1-12:30:00", true)]
    [InlineData("none", true)]
    [InlineData("NONE", true)]
    [InlineData("2h", false)]
    [InlineData("", false)]
    [InlineData("1:2:3:4", false)]
    [InlineData("-5", false)]
    public void A_time_limit_is_checked_against_the_forms_sbatch_accepts(string limit, bool valid) =>
        SlurmJob.IsValidTimeLimit(limit).ShouldBe(valid);

    [Theory]
    [InlineData("--mem=4G", null)]
    [InlineData("--constraint=ssd", null)]
    [InlineData("-A", null)]
    [InlineData("--requeue", "fleet sets --requeue itself (never requeued, named after the worker, its output in the iteration folder); remove it")]
    [InlineData("--job-name=x", "fleet sets --job-name itself (never requeued, named after the worker, its output in the iteration folder); remove it")]
    [InlineData("-ofile", "fleet sets -o itself (never requeued, named after the worker, its output in the iteration folder); remove it")]
    [InlineData("--wrap=ls", "fleet sets --wrap itself (never requeued, named after the worker, its output in the iteration folder); remove it")]
    [InlineData("script.sh", "\"script.sh\" is not an sbatch option (extra_args are options such as --mem=4G; the job's command is the worker shim)")]
    public void Extra_arguments_cannot_override_what_fleet_sets(string argument, string? problem) =>
        SlurmJob.ExtraArgumentProblem(argument).ShouldBe(problem);

    [Fact]
    public void The_nodes_run_the_configured_fleet_binary_resolved_against_the_root_or_else_the_launching_fleet()
    {
        SlurmJob.FleetCommand(SlurmSettings.Default with { FleetBinary = ".fleet/bin/fleet" }, "/r", ["dotnet", "fleet.dll"]).ShouldBe(["/r/.fleet/bin/fleet"]);
        SlurmJob.FleetCommand(SlurmSettings.Default, "/r", ["dotnet", "fleet.dll"]).ShouldBe(["dotnet", "fleet.dll"]);
    }

    [Fact]
    public void Settings_merge_the_workers_keys_over_config_key_by_key()
    {
        var merged = SlurmSettings.Merge(
            new SlurmSpec { Partition = "agents", TimeLimit = "none", ExtraArgs = ["--mem=1G"] },
            new SlurmSpec { TimeLimit = "2:00:00" });

        merged.ShouldBe(new SlurmSettings("agents", null, "2:00:00", merged.ExtraArgs, null));
        merged.ExtraArgs.ShouldBe(["--mem=1G"]);
    }
}
