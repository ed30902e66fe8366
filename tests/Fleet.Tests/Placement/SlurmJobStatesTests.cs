using Fleet.Placement;

namespace Fleet.Tests.Placement;

public sealed class SlurmJobStatesTests
{
    [Theory]
    [InlineData("PENDING", "Priority", "", JobPhase.Queued, "queued on slurm: Priority (job 7)")]
    [InlineData("PENDING", "None", "", JobPhase.Queued, "queued on slurm: waiting (job 7)")]
    [InlineData("CONFIGURING", "None", "w1", JobPhase.Queued, "queued on slurm: waiting (job 7)")]
    [InlineData("RUNNING", "None", "w2", JobPhase.Running, "slurm job 7 running on w2")]
    [InlineData("COMPLETING", "None", "w2", JobPhase.Running, "slurm job 7 completing on w2")]
    [InlineData("SUSPENDED", "None", "w3", JobPhase.Running, "slurm job 7 suspended on w3")]
    [InlineData("COMPLETED", "None", "w1", JobPhase.Completed, "slurm job 7 completed on w1")]
    [InlineData("NODE_FAIL", "None", "w2", JobPhase.Failed, "slurm job 7 NODE_FAIL on w2")]
    [InlineData("CANCELLED", "None", "w1", JobPhase.Failed, "slurm job 7 CANCELLED on w1")]
    [InlineData("CANCELLED+", "None", "w1", JobPhase.Failed, "slurm job 7 CANCELLED on w1")]
    [InlineData("TIMEOUT", "TimeLimit", "w3", JobPhase.Failed, "slurm job 7 TIMEOUT on w3")]
    [InlineData("OUT_OF_MEMORY", "None", "w3", JobPhase.Failed, "slurm job 7 OUT_OF_MEMORY on w3")]
    [InlineData("FAILED", "NonZeroExitCode", "w1", JobPhase.Failed, "slurm job 7 FAILED on w1")]
    [InlineData("BOOT_FAIL", "None", "(null)", JobPhase.Failed, "slurm job 7 BOOT_FAIL")]
    [InlineData("SOMETHING_NEW", "None", "w1", JobPhase.Unknown, "slurm job 7: state SOMETHING_NEW")]
    public void A_job_state_maps_to_the_workers_phase_and_a_line_for_status(string state, string reason, string node, JobPhase phase, string display)
    {
        var view = SlurmJobStates.Map(new SlurmJobInfo("7", state, reason, node, "fleet:f:a:1"));

        view.Phase.ShouldBe(phase);
        view.Display.ShouldBe(display);
        view.Alive.ShouldBe(phase is JobPhase.Queued or JobPhase.Running);
        (view.FailureReason is not null).ShouldBe(phase == JobPhase.Failed);
    }

    [Fact]
    public void A_node_failure_is_the_workers_outcome_with_the_node_and_never_a_requeue()
    {
        var view = SlurmJobStates.Map(new SlurmJobInfo("12", "NODE_FAIL", "None", "w2", "fleet:f:a:1"));

        view.FailureReason.ShouldBe("slurm: job 12 NODE_FAIL on w2: its node failed; never requeued");
    }

    [Fact]
    public void A_job_slurm_no_longer_knows_is_unknown_and_not_alive()
    {
        var view = SlurmJobStates.Map(null, "9");

        view.Phase.ShouldBe(JobPhase.Unknown);
        view.Alive.ShouldBeFalse();
        view.Display.ShouldBe("slurm job 9: not known to squeue");
    }

    [Fact]
    public void Squeue_lines_parse_with_the_comment_last_even_when_it_holds_a_bar()
    {
        var jobs = SlurmJobStates.ParseSqueue("1|RUNNING|None|w1|fleet:f:a:1|fleet-root:/tmp/a|b\n\nbad line\n2|PENDING|Priority||fleet:f:b:1|\n");

        jobs.ShouldBe([
            new SlurmJobInfo("1", "RUNNING", "None", "w1", "fleet:f:a:1", "fleet-root:/tmp/a|b"),
            new SlurmJobInfo("2", "PENDING", "Priority", "", "fleet:f:b:1", ""),
        ]);
    }
}
