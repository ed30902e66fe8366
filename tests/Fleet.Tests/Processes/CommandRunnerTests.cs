using System.Globalization;
using Fleet.Processes;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Processes;

public sealed class CommandRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Shell scripts are for the tests only; the product passes argv arrays.
    private static CommandRunner Shell(string script) =>
        new CommandRunner("/bin/sh").WithArguments(["-c", script]).WithTimeout(TestTimeouts.Default);

    [Fact]
    public async Task The_exit_code_and_both_streams_come_back()
    {
        var result = await Shell("printf out; printf err >&2; exit 3").ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.ShouldBe(new CommandResult(3, "out", "err"));
        result.Succeeded.ShouldBeFalse();
        result.Started.ShouldBeTrue();
        result.TimedOut.ShouldBeFalse();
    }

    [Fact]
    public async Task Arguments_reach_the_program_as_given_without_a_shell()
    {
        var result = await new CommandRunner("printf").WithArguments(["%s|%s", "two words", "$HOME;*"]).ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.Stdout.ShouldBe("two words|$HOME;*");
    }

    [Fact]
    public async Task Large_output_on_both_streams_is_drained_without_a_deadlock()
    {
        const int Size = 300_000;
        var script = string.Create(CultureInfo.InvariantCulture, $"head -c {Size} /dev/zero | tr '\\0' a; head -c {Size} /dev/zero | tr '\\0' b >&2; printf done");

        var result = await Shell(script).ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.TimedOut.ShouldBeFalse();
        result.ExitCode.ShouldBe(0);
        result.Stdout.Length.ShouldBe(Size + "done".Length);
        result.Stderr.Length.ShouldBe(Size);
        result.Stderr.ShouldAllBe(c => c == 'b');
    }

    [Fact]
    public async Task Stdin_is_closed_when_no_input_is_given()
    {
        var result = await new CommandRunner("cat").WithTimeout(TestTimeouts.Default).ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.TimedOut.ShouldBeFalse();
        result.ShouldBe(new CommandResult(0, string.Empty, string.Empty));
    }

    [Fact]
    public async Task Given_input_is_written_to_stdin_and_then_closed()
    {
        var text = "first line\nsecond line é\n" + new string('x', 200_000);

        var result = await new CommandRunner("cat").WithStandardInput(text).WithTimeout(TestTimeouts.Default).ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe(text);
    }

    [Fact]
    public async Task Environment_changes_set_and_remove_variables()
    {
        var result = await Shell("printf '%s|%s' \"$FLEET_RUNNER_TEST\" \"${HOME-removed}\"")
            .WithEnvironment([new("FLEET_RUNNER_TEST", "set"), new("HOME", null)])
            .ExecuteBufferedAsync(Ct)
            .DefaultTimeout();

        result.Stdout.ShouldBe("set|removed");
    }

    [Fact]
    public async Task The_program_runs_in_the_working_folder_given()
    {
        using var dir = new TempDir();
        dir.Write("marker.txt", "here");

        var result = await new CommandRunner("cat").WithArguments(["marker.txt"]).WithWorkingDirectory(dir.Path).ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.ShouldBe(new CommandResult(0, "here", string.Empty));
    }

    [Fact]
    public async Task A_missing_executable_gives_exit_127_and_says_it_cannot_run()
    {
        var result = await new CommandRunner("/nonexistent/fleet-no-such-program").ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.Started.ShouldBeFalse();
        result.ExitCode.ShouldBe(127);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldStartWith("cannot run /nonexistent/fleet-no-such-program: ");
    }

    [Fact]
    public async Task The_deadline_kills_the_process_and_its_children()
    {
        using var dir = new TempDir();
        var pidFile = dir.Combine("child.pid");
        var command = new CommandRunner("/bin/sh")
            .WithArguments(["-c", "sleep 60 & echo $! > child.pid.tmp; mv child.pid.tmp child.pid; wait"])
            .WithWorkingDirectory(dir.Path)
            .WithTimeout(TimeSpan.FromSeconds(2));

        var result = await command.ExecuteBufferedAsync(Ct).DefaultTimeout();

        result.TimedOut.ShouldBeTrue();
        result.ExitCode.ShouldBe(-1);
        result.Stderr.ShouldBe("/bin/sh did not answer within 2 s");
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(() => ProcStat.TryRead(child) is null or { HasEnded: true }, $"the child sleep {child} has ended");
    }

    [Fact]
    public async Task A_program_that_never_reads_a_long_input_still_meets_its_deadline()
    {
        var result = await new CommandRunner("sleep")
            .WithArguments(["60"])
            .WithStandardInput(new string('x', 1_000_000))
            .WithTimeout(TimeSpan.FromSeconds(1))
            .ExecuteBufferedAsync(Ct)
            .DefaultTimeout();

        result.TimedOut.ShouldBeTrue();
    }

    [Fact]
    public async Task Cancelling_kills_the_process_and_throws()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var lines = new List<string>();
        var run = new CommandRunner("/bin/sh")
            .WithArguments(["-c", "echo $$; exec sleep 60"])
            .ExecuteStreamedAsync(line => { lock (lines) { lines.Add(line); } }, null, cancel.Token);
        await Eventually.TrueAsync(() => { lock (lines) { return lines.Count > 0; } }, "the shell printed its pid");
        var pid = int.Parse(lines[0], CultureInfo.InvariantCulture);

        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => run.DefaultTimeout());
        await Eventually.TrueAsync(() => ProcStat.TryRead(pid) is null or { HasEnded: true }, $"the process {pid} has ended");
    }

    [Fact]
    public async Task Streamed_lines_reach_their_callbacks_in_order()
    {
        var stdout = new List<string>();
        var stderr = new List<string>();

        var result = await Shell("printf 'a\\nb\\n'; printf 'x\\n' >&2; printf 'c'; exit 4")
            .ExecuteStreamedAsync(stdout.Add, stderr.Add, Ct)
            .DefaultTimeout();

        result.ShouldBe(new CommandResult(4, string.Empty, string.Empty));
        stdout.ShouldBe(["a", "b", "c"]);
        stderr.ShouldBe(["x"]);
    }

    [Fact]
    public void An_argv_is_split_into_the_program_and_its_arguments()
    {
        var command = CommandRunner.For(["git", "status", "--short"]);

        command.Program.ShouldBe("git");
        command.Arguments.ShouldBe(["status", "--short"]);
        Should.Throw<ArgumentException>(() => CommandRunner.For([]));
    }
}
