using Fleet.Tests.Infrastructure;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

public sealed class WorkerLaunchSpecTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_spec_round_trips_through_snake_case_json()
    {
        using var dir = new TempDir();
        var spec = new WorkerLaunchSpec
        {
            Worker = "reviewer",
            Iteration = 3,
            IterationDir = "/fleet/iterations/3",
            Argv = ["claude", "-p", "say \"hi\"", "--output-format", "stream-json"],
            WorkingDirectory = "/fleet/worktrees/reviewer",
            Environment = new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["ANTHROPIC_API_KEY"] = null },
            StreamFormat = WorkerStreamFormats.Claude,
            DrainTimeoutSeconds = 2.5,
        };
        var path = dir.Combine("spec.json");

        await spec.WriteAsync(path, Ct).DefaultTimeout();
        var text = await File.ReadAllTextAsync(path, Ct);
        var back = await WorkerLaunchSpec.ReadAsync(path, Ct).DefaultTimeout();

        text.ShouldContain("\"iteration_dir\"");
        text.ShouldContain("\"stream_format\": \"claude\"");
        text.ShouldContain("\"drain_timeout_seconds\"");
        back.Worker.ShouldBe("reviewer");
        back.Argv.ShouldBe(spec.Argv);
        back.Environment.ShouldNotBeNull()["ANTHROPIC_API_KEY"].ShouldBeNull();
        back.Environment["NO_COLOR"].ShouldBe("1");
        back.DrainTimeoutSeconds.ShouldBe(2.5);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void A_worker_id_that_cannot_name_a_file_is_refused(string worker)
    {
        var spec = new WorkerLaunchSpec { Worker = worker, Iteration = 1, IterationDir = "/tmp/x", Argv = ["true"] };

        Should.Throw<ArgumentException>(spec.Validate);
    }

    [Fact]
    public void An_iteration_below_1_and_an_empty_argv_are_refused()
    {
        Should.Throw<ArgumentException>(new WorkerLaunchSpec { Worker = "a", Iteration = 0, IterationDir = "/tmp/x", Argv = ["true"] }.Validate);
        Should.Throw<ArgumentException>(new WorkerLaunchSpec { Worker = "a", Iteration = 1, IterationDir = "/tmp/x", Argv = [] }.Validate);
    }
}
