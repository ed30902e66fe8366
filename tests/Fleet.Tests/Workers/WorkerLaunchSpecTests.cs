using Fleet.Tests.Infrastructure;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

public sealed class WorkerLaunchSpecTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_spec_rewritten_while_an_earlier_shim_reads_it_is_replaced_whole_and_the_reader_keeps_the_old_one()
    {
        // A resumed orchestrator re-spawns a worker whose first shim (started before the crash) may still be reading
        // the spec: the rewrite must neither fail on the reader's lock nor truncate what the reader sees.
        using var dir = new TempDir();
        var path = dir.Combine("a.spec.json");
        WorkerLaunchSpec Spec(string session) => new()
        {
            Worker = "a", Iteration = 2, IterationDir = dir.Path, Argv = ["claude", "--session-id", session, new string('x', 20_000)],
            WorkingDirectory = dir.Path, StreamFormat = WorkerStreamFormats.Claude,
        };
        await Spec("first").WriteAsync(path, Ct).DefaultTimeout();

        await using (var reader = File.OpenRead(path))
        {
            await Spec("second").WriteAsync(path, Ct).DefaultTimeout();

            var old = await System.Text.Json.JsonSerializer.DeserializeAsync<System.Text.Json.JsonElement>(reader, cancellationToken: Ct).AsTask().DefaultTimeout();
            old.GetProperty("argv")[2].GetString().ShouldBe("first");
        }

        (await WorkerLaunchSpec.ReadAsync(path, Ct).DefaultTimeout()).Argv[2].ShouldBe("second");
        Directory.GetFiles(dir.Path).Select(Path.GetFileName).ShouldBe(["a.spec.json"]);
        File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

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
