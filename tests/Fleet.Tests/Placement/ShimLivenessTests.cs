using Fleet.Placement;
using Fleet.Tests.Infrastructure;
using Fleet.Workers;

namespace Fleet.Tests.Placement;

/// <summary>A slurm worker's shim is alive by its job's state (or, without squeue, until its exit record), never by this machine's /proc.</summary>
public sealed class ShimLivenessTests : IDisposable
{
    private readonly TempDir _dir = new("fleet-liveness-");

    public void Dispose() => _dir.Dispose();

    // A pid that names no process here, as a node's pid would.
    private static WorkerClaim RemoteClaim => new() { ShimPid = int.MaxValue - 7, ShimStartTime = 1, AgentPid = int.MaxValue - 8, AgentStartTime = 1, SlurmJobId = "42", SlurmNode = "w2" };

    [Theory]
    [InlineData("PENDING", false, true)]
    [InlineData("RUNNING", false, true)]
    [InlineData("COMPLETING", false, true)]
    [InlineData("RUNNING", true, false)]
    [InlineData("COMPLETED", false, false)]
    [InlineData("NODE_FAIL", false, false)]
    [InlineData(null, false, false)]
    public void A_slurm_shim_is_alive_while_its_job_is_queued_or_running_and_it_has_no_exit_record(string? state, bool exitWritten, bool alive)
    {
        var dir = _dir.Path;
        new SlurmJobRecord { JobId = "42", JobName = "fleet:f:a:1" }.Write(SlurmJob.RecordPath(dir, "a"));
        if (exitWritten)
        {
            File.WriteAllText(WorkerFiles.For(dir, "a").ExitJson, "{}");
        }

        IReadOnlyList<SlurmJobInfo> queue = state is null ? [] : [new SlurmJobInfo("42", state, "None", "w2", "fleet:f:a:1")];

        ShimLiveness.FromQueue(queue).IsAlive(dir, "a", RemoteClaim).ShouldBe(alive);
    }

    [Fact]
    public void Without_squeue_a_slurm_shim_is_alive_until_its_exit_record_and_a_local_one_by_proc()
    {
        var dir = _dir.Path;
        new SlurmJobRecord { JobId = "42", JobName = "fleet:f:a:1" }.Write(SlurmJob.RecordPath(dir, "a"));
        var remoteBefore = ShimLiveness.FilesOnly.IsAlive(dir, "a", RemoteClaim);
        File.WriteAllText(WorkerFiles.For(dir, "a").ExitJson, "{}");
        var remoteAfter = ShimLiveness.FilesOnly.IsAlive(dir, "a", RemoteClaim);
        var localGone = ShimLiveness.FilesOnly.IsAlive(dir, "b", RemoteClaim);
        var self = Fleet.Processes.ProcessIdentity.TryCapture(Environment.ProcessId)!;
        var localHere = ShimLiveness.FilesOnly.IsAlive(dir, "b", new WorkerClaim { ShimPid = self.Pid, ShimStartTime = self.StartTime });

        (remoteBefore, remoteAfter, localGone, localHere).ShouldBe((true, false, false, true));
    }
}
