using Fleet.Processes;

namespace Fleet.Tests.Processes;

public sealed class ProcessExitTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
    private static readonly HashSet<int> NoneSent = [];

    [Fact]
    public void An_exit_code_of_137_from_the_wait_status_is_not_mistaken_for_SIGKILL()
    {
        var exit = ProcessExit.From(137, new RawWaitStatus(137, null), NoneSent, At);

        exit.ShouldBe(new ProcessExit(137, null, 137, ExitStatusSource.WaitStatus, At));
    }

    [Fact]
    public void A_signal_from_the_wait_status_is_the_signal()
    {
        var exit = ProcessExit.From(143, new RawWaitStatus(null, 15), NoneSent, At);

        exit.ExitCode.ShouldBeNull();
        exit.SignalName.ShouldBe("SIGTERM");
        exit.Source.ShouldBe(ExitStatusSource.WaitStatus);
    }

    [Theory]
    [InlineData(129, "SIGHUP")]
    [InlineData(130, "SIGINT")]
    [InlineData(137, "SIGKILL")]
    [InlineData(139, "SIGSEGV")]
    [InlineData(141, "SIGPIPE")]
    [InlineData(143, "SIGTERM")]
    public void Without_a_wait_status_a_conventional_128_plus_n_is_inferred_as_signal_n(int runtimeCode, string signal)
    {
        var exit = ProcessExit.From(runtimeCode, null, NoneSent, At);

        exit.SignalName.ShouldBe(signal);
        exit.ExitCode.ShouldBeNull();
        exit.Source.ShouldBe(ExitStatusSource.InferredFromExitCode);
    }

    [Fact]
    public void Without_a_wait_status_an_unusual_128_plus_n_is_a_signal_only_if_we_sent_it()
    {
        ProcessExit.From(138, null, NoneSent, At).ExitCode.ShouldBe(138);
        ProcessExit.From(138, null, new HashSet<int> { 10 }, At).SignalName.ShouldBe("SIGUSR1");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(255)]
    public void Without_a_wait_status_other_codes_are_exit_codes(int runtimeCode)
    {
        var exit = ProcessExit.From(runtimeCode, null, NoneSent, At);

        exit.ShouldBe(new ProcessExit(runtimeCode, null, runtimeCode, ExitStatusSource.ExitCodeOnly, At));
    }
}
