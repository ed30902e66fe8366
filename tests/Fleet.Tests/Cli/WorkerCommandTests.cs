using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Cli;

public sealed class WorkerCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Fleet_worker_runs_the_spec_shows_the_view_and_refuses_to_run_the_same_iteration_twice()
    {
        var spec = new WorkerLaunchSpec { Worker = "w", Iteration = 1, IterationDir = _dir.Combine("iterations", "1"), Argv = FakeAgent.Argv("echo", "hello view", "exit", "3") };
        await spec.WriteAsync(_dir.Combine("spec.json"), TestContext.Current.CancellationToken);

        var (code, console) = await TestConsole.RunAsync(_dir.Path, "worker", "--spec", "spec.json");
        var (again, second) = await TestConsole.RunAsync(_dir.Path, "worker", "--spec", "spec.json");

        code.ShouldBe(1);
        console.Stdout.ShouldContain("hello view");
        var record = await WorkerExitRecord.ReadAsync(_dir.Combine("iterations", "1", "w.exit.json"), TestContext.Current.CancellationToken);
        record.ExitCode.ShouldBe(3);
        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        again.ShouldBe(2);
        second.Stderr.ShouldContain("already exists");
        (await WorkerExitRecord.ReadAsync(_dir.Combine("iterations", "1", "w.exit.json"), TestContext.Current.CancellationToken)).ShouldBe(record);

        // Run in-process, the command never makes the host a subreaper: its reaping would take the exit status of
        // children the runtime waits for (the test host failed fast with "Error while reaping child" when it did).
        Fleet.Processes.OrphanReaper.Enabled.ShouldBeFalse();
    }

    [Fact]
    public async Task Fleet_worker_with_a_broken_spec_is_a_usage_error()
    {
        _dir.Write("spec.json", "{ \"worker\": \"../x\" }");

        var (code, console) = await TestConsole.RunAsync(_dir.Path, "worker", "--spec", "spec.json");

        code.ShouldBe(2);
        console.Stderr.ShouldStartWith($"fleet: {_dir.Combine("spec.json")}: cannot read the worker spec:");
    }
}
