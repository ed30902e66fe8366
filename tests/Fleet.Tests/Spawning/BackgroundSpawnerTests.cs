using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Processes;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Spawning;

public sealed class BackgroundSpawnerTests : IAsyncDisposable
{
    private readonly SpawnWorld _world = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task A_background_shim_is_not_our_child_leads_its_own_session_and_writes_its_exit_record()
    {
        var request = await _world.GatedRequestAsync("builder-a");

        var spawned = await new BackgroundSpawner().SpawnAsync(request, Ct).DefaultTimeout();
        var shim = await _world.ShimProcessAsync("builder-a");

        spawned.ShouldBe(new SpawnedWorker("background", request.ShimLog));
        shim.ParentPid.ShouldNotBe(Environment.ProcessId);
        shim.SessionId.ShouldBe(shim.Pid);
        shim.ProcessGroupId.ShouldBe(shim.Pid);
        await Eventually.TrueAsync(() => SpawnWorld.ProcessesWithArgument(_world.Gate("builder-a")).Count > 0, "the agent waits for its gate");
        File.Exists(_world.Files("builder-a").ExitJson).ShouldBeFalse();

        _world.Open("builder-a");
        var record = await _world.ExitRecordAsync("builder-a");

        record.ExitCode.ShouldBe(3);
        record.Outcome.ShouldBe(WorkerOutcome.Failed);
        var view = await File.ReadAllTextAsync(request.ShimLog, Ct).DefaultTimeout();
        view.ShouldContain("[fleet] builder-a iteration 1:");
        view.ShouldContain("hello from builder-a");
        await Eventually.TrueAsync(() => File.ReadAllText(request.ShimLog).Contains("[fleet] builder-a iteration 1 failed (exit code 3)", StringComparison.Ordinal), "the view's last line is in the shim log");
    }

    [Fact]
    public async Task A_background_shim_holds_no_descriptor_of_the_caller_stdin_is_dev_null_and_output_goes_to_the_shim_log()
    {
        var marker = _world.Combine("marker-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(marker, string.Empty, Ct).DefaultTimeout();
        var log = _world.Combine("iterations", "1", "sleeper.shim.log");
        var request = new SpawnRequest(SpawnWorld.FleetName, _world.Root, "sleeper", 1, ["sh", "-c", "echo started; exec tail -f \"$1\"", "sh", marker], log);

        await new BackgroundSpawner().SpawnAsync(request, Ct).DefaultTimeout();
        ProcStat? sleeper = null;
        await Eventually.TrueAsync(() => (sleeper = SpawnWorld.ProcessesWithArgument(marker).FirstOrDefault(p => p.Command == "tail")) is not null, "the program runs");
        var fds = Directory.EnumerateFileSystemEntries($"/proc/{sleeper!.Pid}/fd")
            .ToDictionary(f => Path.GetFileName(f), f => new FileInfo(f).LinkTarget ?? string.Empty);

        fds["0"].ShouldBe("/dev/null");
        fds["1"].ShouldBe(log);
        fds["2"].ShouldBe(log);
        fds.Select(f => f.Key + "=" + f.Value).ShouldAllBe(fd => !fd.Contains("=pipe:", StringComparison.Ordinal) && !fd.Contains("=socket:", StringComparison.Ordinal) && !fd.Contains("=/dev/pts", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => File.ReadAllText(log) == "started\n", "the shim's output is in its log");
        Environment.GetEnvironmentVariable(DetachedProcess.LogVariable).ShouldBeNull();
        (await File.ReadAllTextAsync($"/proc/{sleeper.Pid}/environ", Ct).DefaultTimeout()).ShouldNotContain(DetachedProcess.LogVariable + "=");
    }

    [Fact]
    public async Task A_missing_shim_program_fails_the_spawn_and_starts_nothing()
    {
        var request = new SpawnRequest(SpawnWorld.FleetName, _world.Root, "ghost", 1, [_world.Combine("no-such-program"), "worker"], _world.ShimLog("ghost"));

        var error = await Should.ThrowAsync<WorkerSpawnException>(new BackgroundSpawner().SpawnAsync(request, Ct).DefaultTimeout());

        error.Message.ShouldContain("ghost");
        error.Message.ShouldContain("does not exist");
        File.Exists(request.ShimLog).ShouldBeFalse();
    }

    [Fact]
    public async Task A_shim_log_that_cannot_be_written_fails_the_spawn_with_the_shells_message()
    {
        var notAFile = _world.Combine("iterations", "1", "w.shim.log");
        Directory.CreateDirectory(notAFile);
        var request = new SpawnRequest(SpawnWorld.FleetName, _world.Root, "w", 1, ["sleep", "60"], notAFile);

        var error = await Should.ThrowAsync<WorkerSpawnException>(new BackgroundSpawner().SpawnAsync(request, Ct).DefaultTimeout());

        error.Message.ShouldContain("w.shim.log");
        error.Message.ShouldContain("Is a directory");
    }

}
