using Fleet.Processes;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Processes;

public sealed class AgentProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<AgentProcess> StartAsync(OutputCapture stdout, params string[] steps) =>
        AgentProcess.StartAsync(new AgentProcessOptions { Argv = FakeAgent.Argv(steps), Stdout = stdout.Sink }, Ct).DefaultTimeout();

    [Fact]
    public async Task An_agent_is_the_leader_of_its_own_process_group_and_session()
    {
        var stdout = new OutputCapture();
        await using var agent = await StartAsync(stdout, "print-pid", "echo", "ready", "wait-file", "/nonexistent/never");
        try
        {
            await stdout.WaitForAsync("ready").DefaultTimeout();

            // setsid and env exec in place: the pid we hold is the agent itself.
            stdout.NumberAfter("pid").ShouldBe(agent.Pid);
            agent.IsGroupLeader.ShouldBeTrue();
            var stat = ProcStat.TryRead(agent.Pid).ShouldNotBeNull();
            stat.ProcessGroupId.ShouldBe(agent.Pid);
            stat.SessionId.ShouldBe(agent.Pid);
            stat.ProcessGroupId.ShouldNotBe(ProcStat.TryRead(Environment.ProcessId)!.ProcessGroupId);
            agent.Identity.ShouldBe(new ProcessIdentity(agent.Pid, stat.StartTime));
            agent.Identity.IsAlive.ShouldBeTrue();
        }
        finally
        {
            agent.Signal(UnixSignal.SIGKILL);
        }

        await agent.WaitAsync(Ct).DefaultTimeout();
        agent.Identity.IsAlive.ShouldBeFalse();
    }

    [Fact]
    public async Task A_grandchild_that_double_forks_stays_in_the_workers_process_group_and_dies_with_a_group_signal()
    {
        var stdout = new OutputCapture();
        await using var agent = await StartAsync(stdout, "fork-grandchild", "120", "echo", "forked", "wait-file", "/nonexistent/never");
        ProcessIdentity grandchild;
        try
        {
            await stdout.WaitForAsync("forked").DefaultTimeout();
            var grandchildPid = stdout.NumberAfter("grandchild-pid");
            // The subshell prints the pid right after its fork; the child becomes `sleep` when it gets to its exec.
            await Eventually.TrueAsync(() => ProcStat.TryRead(grandchildPid)?.Command == "sleep", "the grandchild is the sleep");
            var stat = ProcStat.TryRead(grandchildPid).ShouldNotBeNull();
            grandchild = new ProcessIdentity(grandchildPid, stat.StartTime);

            // Re-parented away from the agent (what Process.Kill(entireProcessTree) cannot follow) …
            stat.ParentPid.ShouldNotBe(agent.Pid);

            // … yet still in the agent's process group.
            stat.ProcessGroupId.ShouldBe(agent.Pid);
        }
        finally
        {
            ProcessGroup.Signal(agent.Pid, UnixSignal.SIGKILL);
        }

        var result = await agent.WaitAsync(Ct).DefaultTimeout();
        result.Exit.SignalName.ShouldBe("SIGKILL");
        await Eventually.TrueAsync(() => !grandchild.IsAlive, "the grandchild has died with its group");
        await Eventually.TrueAsync(() => !ProcessGroup.Exists(agent.Pid), "the group is empty");
    }

    [Fact]
    public async Task Yes_piped_to_head_ends_quietly_inside_an_agent_as_in_a_terminal()
    {
        // yes's own status tells the story: 141 (killed by SIGPIPE, as in a terminal) versus 1 with
        // "Broken pipe" when SIGPIPE is ignored. The pipeline's status is head's (0) either way.
        var stdout = new OutputCapture();
        var stderr = new OutputCapture();
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = ["sh", "-c", "(yes; echo \"yes-exit=$?\" >&2) | head -1"], Stdout = stdout.Sink, Stderr = stderr.Sink },
            Ct).DefaultTimeout();

        var result = await agent.WaitAsync(Ct).DefaultTimeout();

        result.Exit.ExitCode.ShouldBe(0);
        stdout.Text.ShouldBe("y\n");
        stderr.Text.ShouldContain("yes-exit=141");
        stderr.Text.ShouldNotContain("Broken pipe");
    }

    [Fact]
    public async Task Without_the_env_prefix_yes_piped_to_head_fails_with_a_broken_pipe()
    {
        var stderr = new OutputCapture();
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions
            {
                Argv = ["sh", "-c", "(yes; echo \"yes-exit=$?\" >&2) | head -1"],
                Stderr = stderr.Sink,
                RestoreDefaultSignals = false,
            },
            Ct).DefaultTimeout();

        await agent.WaitAsync(Ct).DefaultTimeout();

        stderr.Text.ShouldContain("yes-exit=1");
        stderr.Text.ShouldContain("Broken pipe");
    }

    [Fact]
    public async Task A_megabyte_on_stderr_does_not_deadlock_and_is_all_read()
    {
        var stdout = new OutputCapture();
        var stderr = new OutputCapture();
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = FakeAgent.Argv("flood-stderr", "1048576", "echo", "done"), Stdout = stdout.Sink, Stderr = stderr.Sink },
            Ct).DefaultTimeout();

        var result = await agent.WaitAsync(Ct).DefaultTimeout();

        result.Exit.ExitCode.ShouldBe(0);
        result.OutputDrained.ShouldBeTrue();
        stderr.Bytes.Length.ShouldBe(1048576);
        stdout.Text.ShouldBe("done\n");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(42)]
    public async Task An_exit_code_is_reported_as_an_exit_code(int code)
    {
        await using var agent = await StartAsync(new OutputCapture(), "exit", code.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var exit = await agent.Exited.DefaultTimeout();

        exit.ExitCode.ShouldBe(code);
        exit.Signal.ShouldBeNull();
        exit.SignalName.ShouldBeNull();
    }

    [Fact]
    public async Task A_death_by_SIGKILL_is_reported_as_the_signal_not_as_137()
    {
        var stdout = new OutputCapture();
        await using var agent = await StartAsync(stdout, "echo", "ready", "sleep", "120000");
        await stdout.WaitForAsync("ready").DefaultTimeout();

        // Sent from outside, as `fleet kill` does: the AgentProcess does not know about it.
        ProcessGroup.Signal(agent.Pid, UnixSignal.SIGKILL).ShouldBe(SignalResult.Delivered);
        var exit = await agent.Exited.DefaultTimeout();

        // Exact when waitid read the status before the runtime reaped; otherwise inferred from 137 (see ExitStatusSource).
        exit.Source.ShouldBeOneOf(ExitStatusSource.WaitStatus, ExitStatusSource.InferredFromExitCode);
        exit.ExitCode.ShouldBeNull();
        exit.Signal.ShouldBe(9);
        exit.SignalName.ShouldBe("SIGKILL");
        exit.RuntimeExitCode.ShouldBe(137);
    }

    [Fact]
    public async Task Exited_and_drained_are_separate_events_when_a_grandchild_holds_the_pipes()
    {
        var stdout = new OutputCapture();
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions
            {
                Argv = FakeAgent.Argv("fork-grandchild-holding-pipes", "120", "echo", "bye"),
                Stdout = stdout.Sink,
                DrainTimeout = TimeSpan.FromMilliseconds(300),
            },
            Ct).DefaultTimeout();

        try
        {
            var exit = await agent.Exited.DefaultTimeout();
            exit.ExitCode.ShouldBe(0);

            var result = await agent.WaitAsync(Ct).DefaultTimeout();
            result.OutputDrained.ShouldBeFalse();
            stdout.Text.ShouldContain("bye");
            ProcessGroup.Exists(agent.Pid).ShouldBeTrue("the grandchild still holds the group");
        }
        finally
        {
            ProcessGroup.Signal(agent.Pid, UnixSignal.SIGKILL);
        }

        await Eventually.TrueAsync(() => !ProcessGroup.Exists(agent.Pid), "the group is empty");
    }

    [Fact]
    public async Task A_closed_stdin_reads_as_end_of_file()
    {
        var stdout = new OutputCapture();
        await using var agent = await StartAsync(stdout, "cat-stdin", "echo", "eof");

        var result = await agent.WaitAsync(Ct).DefaultTimeout();

        result.Exit.ExitCode.ShouldBe(0);
        stdout.Text.ShouldBe("eof\n");
    }

    [Fact]
    public async Task A_held_open_stdin_reaches_the_agent_until_it_is_closed()
    {
        var stdout = new OutputCapture();
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = FakeAgent.Argv("cat-stdin", "echo", "eof"), Stdout = stdout.Sink, Stdin = StdinMode.HeldOpen },
            Ct).DefaultTimeout();

        var stdin = agent.StandardInput.ShouldNotBeNull();
        await stdin.WriteAsync("hello\n"u8.ToArray(), Ct).AsTask().DefaultTimeout();
        await stdin.FlushAsync(Ct).DefaultTimeout();
        await stdout.WaitForAsync("hello\n").DefaultTimeout();
        await stdin.DisposeAsync();

        var result = await agent.WaitAsync(Ct).DefaultTimeout();
        stdout.Text.ShouldBe("hello\neof\n");
        result.Exit.ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Environment_changes_add_and_remove_variables()
    {
        var stdout = new OutputCapture();
        Environment.SetEnvironmentVariable("FLEET_TEST_INHERITED", "from-parent");
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions
            {
                Argv = ["sh", "-c", "echo \"added=$FLEET_TEST_ADDED removed=${FLEET_TEST_INHERITED-unset} cwd=$(pwd)\""],
                Environment = new Dictionary<string, string?> { ["FLEET_TEST_ADDED"] = "yes", ["FLEET_TEST_INHERITED"] = null },
                WorkingDirectory = "/tmp",
                Stdout = stdout.Sink,
            },
            Ct).DefaultTimeout();

        await agent.WaitAsync(Ct).DefaultTimeout();

        stdout.Text.ShouldBe("added=yes removed=unset cwd=/tmp\n");
    }

    [Fact]
    public async Task A_missing_binary_fails_with_a_message_naming_it()
    {
        var e = await Should.ThrowAsync<AgentStartException>(
            AgentProcess.StartAsync(new AgentProcessOptions { Argv = ["no-such-agent-cli", "-p", "hi"] }, Ct).DefaultTimeout());

        e.Message.ShouldContain("'no-such-agent-cli'");
        e.Message.ShouldContain("not found on PATH");
    }

    [Fact]
    public async Task A_missing_binary_given_by_path_fails_with_a_message_naming_the_path()
    {
        var e = await Should.ThrowAsync<AgentStartException>(
            AgentProcess.StartAsync(new AgentProcessOptions { Argv = ["/nonexistent/bin/claude"] }, Ct).DefaultTimeout());

        e.Message.ShouldContain("/nonexistent/bin/claude does not exist");
    }

    [Fact]
    public async Task A_missing_working_directory_fails_with_a_message_naming_it()
    {
        var e = await Should.ThrowAsync<AgentStartException>(
            AgentProcess.StartAsync(new AgentProcessOptions { Argv = ["sh", "-c", "true"], WorkingDirectory = "/nonexistent/worktree" }, Ct).DefaultTimeout());

        e.Message.ShouldContain("/nonexistent/worktree");
    }

    [Fact]
    public async Task Start_and_end_times_come_from_the_injected_clock()
    {
        var clock = new SteppingClock(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
        await using var agent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = ["sh", "-c", "true"], TimeProvider = clock }, Ct).DefaultTimeout();

        var result = await agent.WaitAsync(Ct).DefaultTimeout();

        result.StartedAt.ShouldBe(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
        result.EndedAt.ShouldBeGreaterThan(result.StartedAt);
        result.EndedAt.Year.ShouldBe(2026);
    }
}

/// <summary>A clock that moves one second each time it is read: deterministic timestamps, real timers.</summary>
internal sealed class SteppingClock(DateTimeOffset start) : TimeProvider
{
    private long _reads;

    public override DateTimeOffset GetUtcNow() => start.AddSeconds(Interlocked.Increment(ref _reads) - 1);
}
