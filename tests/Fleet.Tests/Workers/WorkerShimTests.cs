using System.Text;
using System.Text.Json;
using Fleet.Processes;
using Fleet.Streams;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

public sealed class WorkerShimTests : IDisposable
{
    private readonly TempDir _root = new("fleet-shim-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string IterationDir => _root.Combine("iterations", "1");

    private WorkerFiles Files => WorkerFiles.For(IterationDir, "builder-a");

    public void Dispose() => _root.Dispose();

    private WorkerLaunchSpec Spec(params string[] argv) => new()
    {
        Worker = "builder-a",
        Iteration = 1,
        IterationDir = IterationDir,
        Argv = argv,
        WorkingDirectory = _root.Path,
    };

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ReadSharedText(string path) => File.Exists(path) ? Encoding.UTF8.GetString(ReadShared(path)) : string.Empty;

    [Fact]
    public async Task The_stdout_log_is_byte_exact_and_each_line_reaches_the_stream_reader()
    {
        var content = new MemoryStream();
        content.Write("{\"type\":\"system\",\"session_id\":\"s-1\"}\n"u8);
        content.Write("{\"text\":\"héllo ✓\"}\r\n"u8);
        content.Write([0xFF, 0xFE, (byte)'\n']);
        content.Write("\n"u8);
        content.Write(Encoding.ASCII.GetBytes(new string('x', 200_000) + "\n"));
        content.Write("{\"type\":\"result\"} no newline at the end"u8);
        var bytes = content.ToArray();
        var transcript = _root.Write("transcript.jsonl", string.Empty);
        await File.WriteAllBytesAsync(transcript, bytes, Ct);
        var reader = new RecordingReader();

        var record = await WorkerShim.RunAsync(Spec(FakeAgent.Argv("emit", transcript)), new WorkerShimOptions { ReaderFactory = _ => reader }, Ct).DefaultTimeout();

        ReadShared(Files.Log).ShouldBe(bytes);
        ReadShared(Files.StderrLog).ShouldBeEmpty();
        reader.Lines.Count.ShouldBe(6);
        reader.Lines[0].ShouldBe("{\"type\":\"system\",\"session_id\":\"s-1\"}"u8.ToArray());
        reader.Lines[1].ShouldBe("{\"text\":\"héllo ✓\"}"u8.ToArray());
        reader.Lines[2].ShouldBe(new byte[] { 0xFF, 0xFE });
        reader.Lines[3].ShouldBeEmpty();
        reader.Lines[4].Length.ShouldBe(200_000);
        reader.Lines[5].ShouldBe("{\"type\":\"result\"} no newline at the end"u8.ToArray());
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        record.ExitCode.ShouldBe(0);
        record.OutputDrained.ShouldBeTrue();
    }

    [Fact]
    public async Task A_megabyte_on_stderr_does_not_deadlock_and_is_all_in_the_stderr_log()
    {
        var record = await WorkerShim.RunAsync(Spec(FakeAgent.Argv("flood-stderr", "1048576", "echo", "done")), Ct).DefaultTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        ReadShared(Files.StderrLog).Length.ShouldBe(1048576);
        ReadSharedText(Files.Log).ShouldBe("done\n");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(126)]
    public async Task A_non_zero_exit_code_is_recorded_as_a_failure_with_that_code(int code)
    {
        var record = await WorkerShim.RunAsync(Spec(FakeAgent.Argv("exit", code.ToString(System.Globalization.CultureInfo.InvariantCulture))), Ct).DefaultTimeout();

        var onDisk = await WorkerExitRecord.ReadAsync(Files.ExitJson, Ct).DefaultTimeout();
        onDisk.ShouldBe(record);
        onDisk.ExitCode.ShouldBe(code);
        onDisk.Signal.ShouldBeNull();
        onDisk.Outcome.ShouldBe(WorkerOutcome.Failed);
        onDisk.IsError.ShouldBeTrue();
        onDisk.Error.ShouldBe($"exited with code {code}");
    }

    [Fact]
    public async Task A_death_by_signal_is_recorded_as_the_signal_name_and_as_killed()
    {
        var run = WorkerShim.RunAsync(Spec(FakeAgent.Argv("print-pid", "sleep", "120000")), Ct);
        await Eventually.TrueAsync(() => ReadSharedText(Files.Log).Contains('\n', StringComparison.Ordinal), "the agent printed its pid");
        var pid = int.Parse(ReadSharedText(Files.Log).Trim()["pid ".Length..], System.Globalization.CultureInfo.InvariantCulture);

        ProcessGroup.Signal(pid, UnixSignal.SIGKILL).ShouldBe(SignalResult.Delivered);
        var record = await run.DefaultTimeout();

        record.Signal.ShouldBe("SIGKILL");
        record.ExitCode.ShouldBeNull();
        record.Outcome.ShouldBe(WorkerOutcome.Killed);
        record.Error.ShouldBe("stopped by SIGKILL");
        record.Pid.ShouldBe(pid);
    }

    [Fact]
    public async Task A_crash_signal_is_recorded_as_a_failure()
    {
        var record = await WorkerShim.RunAsync(Spec("sh", "-c", "kill -SEGV $$"), Ct).DefaultTimeout();

        record.Signal.ShouldBe("SIGSEGV");
        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.Error.ShouldBe("crashed: terminated by SIGSEGV");
    }

    [Fact]
    public async Task A_missing_binary_is_a_failed_outcome_that_names_it_not_a_crash()
    {
        var record = await WorkerShim.RunAsync(Spec("no-such-agent-cli", "-p", "hello"), Ct).DefaultTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.IsError.ShouldBeTrue();
        record.Error.ShouldNotBeNull().ShouldContain("'no-such-agent-cli'");
        record.ExitCode.ShouldBeNull();
        record.Pid.ShouldBeNull();
        (await WorkerExitRecord.ReadAsync(Files.ExitJson, Ct).DefaultTimeout()).ShouldBe(record);
        File.Exists(Files.Log).ShouldBeTrue();
    }

    [Fact]
    public async Task Exit_json_is_written_atomically_with_no_temp_file_left_and_only_once()
    {
        var record = await WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "hi")), Ct).DefaultTimeout();

        Directory.GetFiles(IterationDir).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .ShouldBe(["builder-a.exit.json", "builder-a.log", "builder-a.run.json", "builder-a.stderr.log"]);
        var text = await File.ReadAllTextAsync(Files.ExitJson, Ct);
        using (var json = JsonDocument.Parse(text))
        {
            var root = json.RootElement;
            root.GetProperty("worker").GetString().ShouldBe("builder-a");
            root.GetProperty("iteration").GetInt32().ShouldBe(1);
            root.GetProperty("exit_code").GetInt32().ShouldBe(0);
            root.GetProperty("signal").ValueKind.ShouldBe(JsonValueKind.Null);
            root.GetProperty("outcome").GetString().ShouldBe("succeeded");
            root.GetProperty("is_error").GetBoolean().ShouldBeFalse();
            root.GetProperty("malformed_lines").GetInt32().ShouldBe(0);
            root.GetProperty("started_at").GetString().ShouldNotBeNull().ShouldEndWith("Z");
            root.GetProperty("ended_at").GetString().ShouldNotBeNull().ShouldEndWith("Z");
            foreach (var key in new[] { "session_id", "cost_usd", "turns", "result_kind", "error" })
            {
                root.TryGetProperty(key, out _).ShouldBeTrue(key);
            }
        }

        // Written once: a second record for the same file is refused and leaves the first intact.
        await Should.ThrowAsync<IOException>((record with { ExitCode = 99 }).WriteAtomicallyAsync(Files.ExitJson, Ct).DefaultTimeout());
        (await File.ReadAllTextAsync(Files.ExitJson, Ct)).ShouldBe(text);
        Directory.GetFiles(IterationDir).Length.ShouldBe(4);
    }

    [Fact]
    public async Task A_second_run_of_the_same_worker_and_iteration_is_refused()
    {
        await WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "first")), Ct).DefaultTimeout();

        await Should.ThrowAsync<WorkerRefusedException>(WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "second")), Ct).DefaultTimeout());

        ReadSharedText(Files.Log).ShouldBe("first\n");
    }

    [Fact]
    public async Task An_outcome_that_cannot_go_into_exit_json_goes_into_the_claim_and_is_tried_again()
    {
        // The agent puts a directory where exit.json goes: the shim cannot write it, even as root.
        var view = new StringWriter();
        var options = new WorkerShimOptions { View = view, ExitRecordPatience = TimeSpan.FromMilliseconds(300) };

        var record = await WorkerShim.RunAsync(Spec("mkdir", Files.ExitJson), options, Ct).DefaultTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        Directory.Exists(Files.ExitJson).ShouldBeTrue();
        var claim = WorkerClaim.TryRead(IterationDir, "builder-a").ShouldNotBeNull();
        claim.Exit.ShouldBe(record);
        claim.AgentStarting.ShouldBeTrue();
        view.ToString().ShouldContain("the outcome is in the claim");
        view.ToString().ShouldContain("gave up on");
    }

    [Fact]
    public async Task An_exit_json_that_becomes_writable_while_the_shim_waits_is_written()
    {
        var view = new StringWriter();
        var options = new WorkerShimOptions { View = view, ExitRecordPatience = TimeSpan.FromSeconds(20) };

        // The obstacle is gone a moment after the agent ends: a person made the folder writable again.
        var record = await WorkerShim.RunAsync(Spec("sh", "-c", "mkdir \"$0\"; (sleep 0.5; rmdir \"$0\") >/dev/null 2>&1 &", Files.ExitJson), options, Ct).DefaultTimeout();

        (await WorkerExitRecord.ReadAsync(Files.ExitJson, Ct)).ShouldBe(record);
        view.ToString().ShouldContain($"{Files.ExitJson} written");
    }

    [Fact]
    public async Task The_stream_summary_lands_in_exit_json()
    {
        var summary = new AgentStreamSummary("s-42", 0.4213m, 7, "success", false, null, 2, InputTokens: 1200, OutputTokens: 340);

        await WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "{}")), new WorkerShimOptions { ReaderFactory = _ => new RecordingReader(summary) }, Ct).DefaultTimeout();

        var record = await WorkerExitRecord.ReadAsync(Files.ExitJson, Ct).DefaultTimeout();
        record.SessionId.ShouldBe("s-42");
        record.CostUsd.ShouldBe(0.4213m);
        record.Turns.ShouldBe(7);
        record.ResultKind.ShouldBe("success");
        record.MalformedLines.ShouldBe(2);
        record.InputTokens.ShouldBe(1200);
        record.OutputTokens.ShouldBe(340);
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded);
    }

    [Fact]
    public async Task An_error_result_in_the_stream_fails_the_run_even_with_exit_code_0()
    {
        var summary = new AgentStreamSummary("s-1", 1.0m, 3, "error_max_budget_usd", true, "Reached the budget", 0);

        var record = await WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "{}")), new WorkerShimOptions { ReaderFactory = _ => new RecordingReader(summary) }, Ct).DefaultTimeout();

        record.ExitCode.ShouldBe(0);
        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        record.IsError.ShouldBeTrue();
        record.Error.ShouldBe("Reached the budget");
        record.ResultKind.ShouldBe("error_max_budget_usd");
    }

    [Fact]
    public async Task Cancelling_the_shim_stops_the_agent_with_the_ladder_and_still_writes_exit_json()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "ready", "sleep", "120000")), cts.Token);
        await Eventually.TrueAsync(() => ReadSharedText(Files.Log).Contains("ready", StringComparison.Ordinal), "the agent is ready");

        await cts.CancelAsync();
        var record = await run.DefaultTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Killed);
        record.Signal.ShouldBe("SIGINT");
        File.Exists(Files.ExitJson).ShouldBeTrue();
    }

    [Fact]
    public async Task A_shim_started_with_ctrl_c_ignored_still_gives_its_agent_the_default_handling_so_the_ladder_reaches_it()
    {
        // A fleet started from a script's background job inherits SIGINT (and may inherit SIGTERM) ignored, and exec
        // keeps that: the agent would sit out the ladder's Ctrl+C. The shim here is a process of its own, started so.
        await Spec(FakeAgent.Argv("echo", "ready", "sleep", "120000")).WriteAsync(_root.Combine("spec.json"), Ct).DefaultTimeout();
        var start = new System.Diagnostics.ProcessStartInfo("sh") { UseShellExecute = false, WorkingDirectory = _root.Path };
        foreach (var arg in (string[])["-c", "trap '' INT TERM; exec \"$@\"", "sh", .. RepoPaths.FleetArgv, "worker", "--spec", _root.Combine("spec.json")])
        {
            start.ArgumentList.Add(arg);
        }

        using var shim = System.Diagnostics.Process.Start(start)!;
        try
        {
            await Eventually.TrueAsync(() => ReadSharedText(Files.Log).Contains("ready", StringComparison.Ordinal), "the agent is ready");
            var agent = WorkerClaim.TryRead(IterationDir, "builder-a")?.AgentPid ?? throw new InvalidOperationException("no agent in the claim");

            Ignored(shim.Id).ShouldContain("SIGINT", "the shim was started with Ctrl+C ignored (the premise)");
            Ignored(agent).ShouldNotContain("SIGINT");
            Ignored(agent).ShouldNotContain("SIGTERM");
            ProcessGroup.Signal(agent, UnixSignal.SIGINT);
            await Eventually.TrueAsync(() => File.Exists(Files.ExitJson), "the shim wrote exit.json");
            (await WorkerExitRecord.TryReadAsync(IterationDir, "builder-a", Ct).DefaultTimeout()).ShouldNotBeNull().Signal.ShouldBe("SIGINT");
        }
        finally
        {
            if (WorkerClaim.TryRead(IterationDir, "builder-a")?.AgentPid is { } pid)
            {
                ProcessGroup.Signal(pid, UnixSignal.SIGKILL);
            }

            shim.Kill(entireProcessTree: true);
            await shim.WaitForExitAsync(Ct).DefaultTimeout();
        }

        static string[] Ignored(int pid)
        {
            var mask = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
            var bits = ulong.Parse(mask, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            return [.. new[] { ("SIGINT", 2), ("SIGTERM", 15), ("SIGPIPE", 13) }.Where(s => (bits & (1UL << (s.Item2 - 1))) != 0).Select(s => s.Item1)];
        }
    }

    [Fact]
    public async Task The_readable_view_shows_rendered_lines()
    {
        using var view = new StringWriter();

        await WorkerShim.RunAsync(
            Spec(FakeAgent.Argv("echo", "one", "echo", "skip", "echo", "two")),
            new WorkerShimOptions { View = view, Renderer = line => line.SequenceEqual("skip"u8) ? null : "> " + Encoding.UTF8.GetString(line) },
            Ct).DefaultTimeout();

        var lines = view.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Where(l => l.StartsWith('>')).ShouldBe(["> one", "> two"]);
        lines[^1].ShouldStartWith("[fleet] builder-a iteration 1 succeeded");
    }

    [Fact]
    public async Task A_broken_view_does_not_stop_the_recording()
    {
        await using var view = new BrokenWriter();

        var record = await WorkerShim.RunAsync(Spec(FakeAgent.Argv("echo", "one", "exit", "4")), new WorkerShimOptions { View = view }, Ct).DefaultTimeout();

        record.ExitCode.ShouldBe(4);
        ReadSharedText(Files.Log).ShouldBe("one\n");
    }

    [Fact]
    public async Task Killing_the_shims_parent_leaves_exit_json_finished()
    {
        // The parent stands in for the orchestrator: it starts `setsid fake-agent shim SPEC` with the shim's
        // stdout piped to itself, then dies by SIGKILL. The shim (own session) must finish the run and its files.
        var go = _root.Combine("go");
        var spec = Spec(FakeAgent.Argv("echo", "started", "wait-file", go, "echo", "after-the-parent-died", "exit", "3"));
        var specPath = _root.Combine("spec.json");
        await spec.WriteAsync(specPath, Ct).DefaultTimeout();
        var parentOut = new OutputCapture();
        await using var parent = await AgentProcess.StartAsync(
            new AgentProcessOptions { Argv = FakeAgent.Argv("spawn-shim", specPath), Stdout = parentOut.Sink }, Ct).DefaultTimeout();
        ProcessIdentity? shim = null;
        try
        {
            await parentOut.WaitForAsync("started").DefaultTimeout();
            var shimPid = parentOut.NumberAfter("shim-pid");
            shim = ProcessIdentity.TryCapture(shimPid).ShouldNotBeNull();
            var shimStat = ProcStat.TryRead(shimPid).ShouldNotBeNull();
            shimStat.SessionId.ShouldBe(shimPid);
            shimStat.ParentPid.ShouldBe(parent.Pid);

            // The parent's whole group, as `fleet kill` of an orchestrator or a Ctrl+C would reach it.
            ProcessGroup.Signal(parent.Pid, UnixSignal.SIGKILL).ShouldBe(SignalResult.Delivered);
            (await parent.WaitAsync(Ct).DefaultTimeout()).Exit.SignalName.ShouldBe("SIGKILL");
            shim.IsAlive.ShouldBeTrue("the shim outlives its parent");
            File.Exists(Files.ExitJson).ShouldBeFalse("the agent is still waiting");

            await File.WriteAllTextAsync(go, string.Empty, Ct);
            await Eventually.TrueAsync(() => File.Exists(Files.ExitJson), "the orphaned shim wrote exit.json");

            var record = await WorkerExitRecord.ReadAsync(Files.ExitJson, Ct).DefaultTimeout();
            record.ExitCode.ShouldBe(3);
            record.Outcome.ShouldBe(WorkerOutcome.Failed);
            ReadSharedText(Files.Log).ShouldBe("started\nafter-the-parent-died\n");
            await Eventually.TrueAsync(() => !shim.IsAlive, "the shim has exited");
        }
        finally
        {
            // On failure: let the agent finish on its own, and take down whatever of the parent and shim is left.
            await File.WriteAllTextAsync(go, string.Empty, CancellationToken.None);
            ProcessGroup.Signal(parent.Pid, UnixSignal.SIGKILL);
            if (shim is { IsAlive: true })
            {
                shim.Signal(UnixSignal.SIGKILL);
            }
        }
    }

    private sealed class RecordingReader(AgentStreamSummary? summary = null) : IAgentStreamReader
    {
        public List<byte[]> Lines { get; } = [];

        public AgentStreamSummary Summary => summary ?? AgentStreamSummary.Empty;

        public void Accept(ReadOnlySpan<byte> line) => Lines.Add(line.ToArray());
    }

    private sealed class BrokenWriter : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => throw new IOException("Broken pipe");

        public override void WriteLine(string? value) => throw new IOException("Broken pipe");
    }
}
