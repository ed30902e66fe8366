using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.State;

public class FleetRunsTests
{
    [Fact]
    public async Task A_new_run_archives_the_previous_runs_iterations_and_rehearsal_log_under_its_run_id()
    {
        using var dir = new TempDir();
        var layout = new FleetLayout(dir.Path);
        dir.Write("fleet.json", "{}");
        var ct = TestContext.Current.CancellationToken;
        var first = await FleetRuns.BeginAsync(layout, "f", "dag", "process", rehearse: true, TimeProvider.System, ct).DefaultTimeout();
        dir.Write("iterations/1/a.log", "a ran");
        dir.Write(".fleet/rehearsal/requests.jsonl", "{\"outcome\":\"step 0: fail 529\"}\n");

        var second = await FleetRuns.BeginAsync(layout, "f", "dag", "process", rehearse: true, TimeProvider.System, ct).DefaultTimeout();

        second.ShouldNotBe(first);
        File.Exists(layout.RehearsalRequestsFile).ShouldBeFalse();
        var archive = Path.Combine(layout.StateDir, "runs", first);
        File.ReadAllText(Path.Combine(archive, "rehearsal-requests.jsonl")).ShouldContain("fail 529");
        File.ReadAllText(Path.Combine(archive, "iterations", "1", "a.log")).ShouldBe("a ran");
    }
}
