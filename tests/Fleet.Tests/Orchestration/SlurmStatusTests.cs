using Fleet.Orchestration;
using Fleet.Placement;

namespace Fleet.Tests.Orchestration;

public sealed class SlurmStatusTests
{
    [Theory]
    [InlineData("RUNNING", "w2", "w2", "slurm job 7 running on w2")]
    [InlineData("COMPLETED", "w3", "w3", "slurm job 7 completed on w3")]
    [InlineData("PENDING", "", null, "queued on slurm: Priority (job 7)")]
    [InlineData(null, null, "w2", "slurm job 7: not known to squeue (ran on w2)")]
    [InlineData(null, null, null, "slurm job 7: not known to squeue")]
    public void A_slurm_workers_status_line_names_its_node_from_squeue_or_else_from_its_claim(string? state, string? squeueNode, string? claimNode, string expected)
    {
        var job = state is null ? null : new SlurmJobInfo("7", state, state == "PENDING" ? "Priority" : "None", squeueNode!, "fleet:f:w:1");

        SlurmStatus.Describe(SlurmJobStates.Map(job, "7"), "7", claimNode).ShouldBe(expected);
    }

    [Theory]
    [InlineData("w2", "slurm job 7 on w2 (squeue did not answer)")]
    [InlineData(null, "slurm job 7 (squeue did not answer)")]
    public void Without_an_answer_from_squeue_the_line_says_so_and_names_the_node_of_the_claim(string? claimNode, string expected) =>
        SlurmStatus.Describe(null, "7", claimNode).ShouldBe(expected);
}
