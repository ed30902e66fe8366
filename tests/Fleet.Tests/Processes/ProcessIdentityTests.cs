using Fleet.Processes;

namespace Fleet.Tests.Processes;

public sealed class ProcessIdentityTests
{
    [Fact]
    public void A_stat_line_is_parsed_even_when_the_command_holds_spaces_and_parentheses()
    {
        var line = "4242 (my (odd) cmd) S 1 4240 4240 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

        var stat = ProcStat.TryParse(line).ShouldNotBeNull();

        stat.ShouldBe(new ProcStat(4242, "my (odd) cmd", 'S', 1, 4240, 4240, 987654));
        stat.HasEnded.ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("12 (x) S 1 2")]
    public void A_bad_stat_line_is_not_parsed(string line)
    {
        ProcStat.TryParse(line).ShouldBeNull();
    }

    [Fact]
    public void Our_own_identity_is_alive_and_one_with_another_start_time_is_not()
    {
        var me = ProcessIdentity.TryCapture(Environment.ProcessId).ShouldNotBeNull();

        me.IsAlive.ShouldBeTrue();
        (me with { StartTime = me.StartTime + 1 }).IsAlive.ShouldBeFalse("a recycled pid has another start time");
    }

    [Fact]
    public void A_pid_that_does_not_exist_has_no_identity()
    {
        ProcessIdentity.TryCapture(int.MaxValue).ShouldBeNull();
        new ProcessIdentity(int.MaxValue, 1).IsAlive.ShouldBeFalse();
        new ProcessIdentity(int.MaxValue, 1).Signal(UnixSignal.SIGTERM).ShouldBe(SignalResult.NotFound);
    }

    [Theory]
    [InlineData(9, "SIGKILL")]
    [InlineData(15, "SIGTERM")]
    [InlineData(13, "SIGPIPE")]
    [InlineData(36, "SIGRTMIN+2")]
    [InlineData(99, "SIG99")]
    public void Signal_numbers_have_their_posix_names(int signal, string name)
    {
        UnixSignals.Name(signal).ShouldBe(name);
    }
}
