using Fleet.Processes;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Processes;

public sealed class StopLadderTests
{
    // Generous graces: these tests assert which rung ended the agent, never how fast.
    private static readonly StopLadder QuickInterrupt = new(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<AgentProcess> StartReadyAsync(params string[] steps)
    {
        var stdout = new OutputCapture();
        var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = FakeAgent.Argv([.. steps, "echo", "ready", "sleep", "120000"]), Stdout = stdout.Sink }, Ct).DefaultTimeout();
        await stdout.WaitForAsync("ready").DefaultTimeout();
        return agent;
    }

    [Fact]
    public async Task The_stop_ladder_ends_an_agent_with_SIGINT_when_it_listens()
    {
        await using var agent = await StartReadyAsync();

        var outcome = await agent.StopAsync(new StopLadder(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)), Ct).DefaultTimeout();

        outcome.ShouldBe(StopOutcome.StoppedByInterrupt);
        await agent.WaitAsync(Ct).DefaultTimeout();
    }

    [Fact]
    public async Task The_stop_ladder_escalates_to_SIGTERM_when_the_agent_ignores_SIGINT()
    {
        await using var agent = await StartReadyAsync("ignore-sigint");

        var outcome = await agent.StopAsync(QuickInterrupt, Ct).DefaultTimeout();

        outcome.ShouldBe(StopOutcome.StoppedByTerminate);
    }

    [Fact]
    public async Task The_stop_ladder_escalates_to_SIGKILL_when_the_agent_ignores_SIGINT_and_SIGTERM()
    {
        await using var agent = await StartReadyAsync("ignore-sigint", "ignore-sigterm");

        var outcome = await agent.StopAsync(new StopLadder(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(20)), Ct).DefaultTimeout();

        outcome.ShouldBe(StopOutcome.StoppedByKill);
        var result = await agent.WaitAsync(Ct).DefaultTimeout();
        result.Exit.SignalName.ShouldBe("SIGKILL");
    }

    [Fact]
    public async Task The_stop_ladder_reaches_a_double_forked_grandchild()
    {
        var stdout = new OutputCapture();
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = FakeAgent.Argv("fork-grandchild", "120", "echo", "ready", "sleep", "120000"), Stdout = stdout.Sink }, Ct).DefaultTimeout();
        await stdout.WaitForAsync("ready").DefaultTimeout();
        var grandchildPid = stdout.NumberAfter("grandchild-pid");
        var grandchild = ProcessIdentity.TryCapture(grandchildPid).ShouldNotBeNull();

        // Stopping the group means every member: the ladder waits until the sleep is gone too.
        var outcome = await ProcessGroup.StopAsync(agent.Pid, QuickInterrupt, null, Ct).DefaultTimeout();

        outcome.ShouldBeOneOf(StopOutcome.StoppedByInterrupt, StopOutcome.StoppedByTerminate);
        grandchild.IsAlive.ShouldBeFalse();
        ProcessGroup.Exists(agent.Pid).ShouldBeFalse();
    }

    [Fact]
    public async Task Stopping_a_group_that_is_gone_says_so()
    {
        await using var agent = await AgentProcess.StartAsync(new AgentProcessOptions { Argv = ["sh", "-c", "true"] }, Ct).DefaultTimeout();
        await agent.WaitAsync(Ct).DefaultTimeout();

        var outcome = await ProcessGroup.StopAsync(agent.Pid, StopLadder.Default, null, Ct).DefaultTimeout();

        outcome.ShouldBe(StopOutcome.AlreadyGone);
        ProcessGroup.Signal(agent.Pid, UnixSignal.SIGTERM).ShouldBe(SignalResult.NotFound);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-5)]
    public void Signalling_group_0_or_1_is_refused(int pgid)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => ProcessGroup.Signal(pgid, UnixSignal.SIGTERM));
    }
}
