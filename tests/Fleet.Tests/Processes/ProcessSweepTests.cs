using System.Text;
using Fleet.Processes;

namespace Fleet.Tests.Processes;

public class ProcessSweepTests
{
    private const int Self = 999;

    // pid, parent, group, start time, state
    private static ProcStat P(int pid, int parent, int group, ulong start, char state = 'S') => new(pid, "p" + pid, state, parent, group, pid, start);

    private static int[] Select(ProcStat[] table, int[]? carriers = null, ProcessIdentity? agent = null, ProcessIdentity? reaper = null) =>
        [.. ProcessSweep.Select(table, new SweepScope((carriers ?? []).ToHashSet(), agent, reaper), Self).Select(p => p.Pid)];

    [Fact]
    public void The_agent_its_descendants_and_its_group_are_selected_and_nothing_else()
    {
        ProcStat[] table = [P(1, 0, 1, 1), P(10, 1, 10, 100), P(11, 10, 10, 110), P(12, 11, 12, 120), P(13, 1, 10, 130), P(20, 1, 20, 105)];

        Select(table, agent: new ProcessIdentity(10, 100)).ShouldBe([10, 11, 12, 13]);
    }

    [Fact]
    public void A_pid_reused_by_a_stranger_is_not_the_agent_nor_its_group()
    {
        ProcStat[] table = [P(10, 1, 10, 500), P(11, 10, 10, 510), P(14, 1, 10, 520)];

        Select(table, agent: new ProcessIdentity(10, 100)).ShouldBeEmpty();
    }

    [Fact]
    public void A_leaderless_group_of_the_agent_is_still_its_own()
    {
        ProcStat[] table = [P(13, 1, 10, 130), P(14, 13, 14, 140)];

        Select(table, agent: new ProcessIdentity(10, 100)).ShouldBe([13, 14]);
    }

    [Fact]
    public void Token_carriers_and_their_descendants_are_selected_even_when_orphaned_to_init()
    {
        ProcStat[] table = [P(1, 0, 1, 1), P(30, 1, 30, 300), P(31, 30, 31, 310), P(40, 1, 40, 400)];

        Select(table, carriers: [30]).ShouldBe([30, 31]);
    }

    [Fact]
    public void The_shims_descendants_are_selected_but_never_the_shim()
    {
        ProcStat[] table = [P(5, 1, 5, 50), P(10, 5, 10, 100), P(30, 5, 30, 300), P(31, 30, 31, 310)];

        Select(table, reaper: new ProcessIdentity(5, 50)).ShouldBe([10, 30, 31]);
    }

    [Fact]
    public void A_shim_whose_pid_was_reused_leads_to_nothing()
    {
        ProcStat[] table = [P(5, 1, 5, 999), P(30, 5, 30, 1000)];

        Select(table, reaper: new ProcessIdentity(5, 50)).ShouldBeEmpty();
    }

    [Fact]
    public void A_child_that_started_before_its_parent_is_a_recycled_pid_and_is_not_a_descendant()
    {
        // The parent pid of 31 names 30, but 31 is older than 30: 31's real parent died and 30 reused its pid.
        ProcStat[] table = [P(30, 1, 30, 300), P(31, 30, 31, 200)];

        Select(table, carriers: [30]).ShouldBe([30]);
    }

    [Fact]
    public void Zombies_ourselves_and_init_are_never_selected()
    {
        ProcStat[] table = [P(1, 0, 1, 1), P(30, 1, 30, 300), P(31, 30, 30, 310, 'Z'), P(Self, 30, 30, 320), P(33, 30, 30, 330)];

        Select(table, carriers: [30, 1]).ShouldBe([30, 33]);
    }

    [Theory]
    [InlineData("A=1\0FLEET_WORKER_TOKEN=abc\0B=2\0", "abc")]
    [InlineData("FLEET_WORKER_TOKEN=first\0", "first")]
    [InlineData("A=1\0FLEET_WORKER_TOKEN=last", "last")]
    [InlineData("XFLEET_WORKER_TOKEN=no\0A=FLEET_WORKER_TOKEN=no\0", null)]
    [InlineData("", null)]
    public void The_value_of_a_variable_is_read_only_from_a_whole_entry(string environ, string? value)
    {
        ProcessTable.ValueIn(Encoding.UTF8.GetBytes(environ), Encoding.UTF8.GetBytes("FLEET_WORKER_TOKEN=")).ShouldBe(value);
    }
}
