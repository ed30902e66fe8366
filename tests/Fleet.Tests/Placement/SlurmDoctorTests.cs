using Fleet.Placement;
using Fleet.Processes;

namespace Fleet.Tests.Placement;

public sealed class SlurmDoctorTests
{
    [Theory]
    [InlineData("AuthType                = auth/munge\nAuthInfo                = socket=/tmp/fleet-slurm/munge.sock\n", "/tmp/fleet-slurm/munge.sock")]
    [InlineData("AuthInfo = cred_expire=120,socket=/run/m.sock\n", "/run/m.sock")]
    [InlineData("AuthInfo                = (null)\n", null)]
    [InlineData("ClusterName = fleet\n", null)]
    public void The_munge_socket_is_read_from_the_controllers_AuthInfo(string config, string? socket) =>
        SlurmDoctor.MungeSocket(config).ShouldBe(socket);

    [Fact]
    public void Sinfo_that_answers_lists_its_partitions_and_one_that_does_not_names_the_cause()
    {
        var ok = SlurmDoctor.Sinfo(new CommandResult(0, "agents* up 3 idle\n", ""));
        var unreachable = SlurmDoctor.Sinfo(new CommandResult(1, "", "slurm_load_partitions: Unable to contact slurm controller (connect failure)\n"));
        var missing = SlurmDoctor.Sinfo(new CommandResult(-1, "", "") { Started = false });
        var empty = SlurmDoctor.Sinfo(new CommandResult(0, "", ""));

        (ok.Ok, ok.Detail).ShouldBe((true, "agents* up, 3 node(s) idle"));
        (unreachable.Ok, unreachable.Detail).ShouldBe((false, "slurm_load_partitions: Unable to contact slurm controller (connect failure): the controller is unreachable or SLURM_CONF is wrong"));
        missing.Detail.ShouldStartWith("not found on PATH (install slurm-client)");
        empty.Ok.ShouldBeFalse();
    }

    [Theory]
    [InlineData(0, "w2 TOKEN\n", "", false, true, "node w2 read /r/.fleet/p, written here")]
    [InlineData(1, "", "cat: /r/.fleet/p: No such file or directory", false, false, "a node could not read /r/.fleet/p, written here (cat: /r/.fleet/p: No such file or directory): the fleet root must be on a file system the nodes share, at the same path")]
    [InlineData(1, "", "srun: error: Unable to allocate resources: Immediate execution impossible, insufficient priority", false, false, "no node ran the probe within 20 s (srun: error: Unable to allocate resources: Immediate execution impossible, insufficient priority): the partition is full, down or unknown")]
    [InlineData(-1, "", "", true, false, "no node ran the probe within 20 s (exit -1): the partition is full, down or unknown")]
    [InlineData(0, "w1 OTHER\n", "", false, false, "a node could not read /r/.fleet/p, written here (w1 OTHER): the fleet root must be on a file system the nodes share, at the same path")]
    public void The_shared_path_probe_passes_only_when_a_node_read_back_the_token(int exit, string stdout, string stderr, bool timedOut, bool ok, string detail)
    {
        var check = SlurmDoctor.SharedPath(new CommandResult(exit, stdout, stderr) { TimedOut = timedOut }, "/r/.fleet/p", "TOKEN", 20);

        (check.Name, check.Ok, check.Detail).ShouldBe(("shared path", ok, detail));
    }
}
