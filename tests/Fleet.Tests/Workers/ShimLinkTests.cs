using Fleet.Orchestration;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

/// <summary>The shim link with real sockets: a real <see cref="ShimPool"/> and a real shim host running real agents.</summary>
public sealed class ShimLinkTests : IDisposable
{
    private readonly TempDir _root = new("fleet-link-");
    private int _wakes;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string IterationDir => _root.Combine("iterations", "1");

    public void Dispose() => _root.Dispose();

    private ShimPool StartPool() => ShimPool.TryStart(() => Interlocked.Increment(ref _wakes), log: null).ShouldNotBeNull();

    private WorkerLaunchSpec Spec(string worker, string link, params string[] argv) => new()
    {
        Worker = worker,
        Iteration = 1,
        IterationDir = IterationDir,
        Argv = argv,
        WorkingDirectory = _root.Path,
        LinkName = link,
    };

    private async Task<string> WriteSpecAsync(WorkerLaunchSpec spec)
    {
        Directory.CreateDirectory(IterationDir);
        var path = Path.Combine(IterationDir, spec.Worker + ".spec.json");
        await spec.WriteAsync(path, Ct);
        return path;
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"never: {what}");
            }

            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task A_linked_shim_runs_each_worker_it_is_handed_with_its_own_claim_log_view_and_exit_json_until_the_link_closes()
    {
        using var pool = StartPool();
        var firstView = new StringWriter();
        var host = WorkerShimHost.RunAsync(Spec("a", pool.Name, FakeAgent.Argv("echo", "first")), firstView, Ct);
        await EventuallyAsync(() => File.Exists(WorkerFiles.For(IterationDir, "a").ExitJson), "a's exit.json");
        pool.Ended("a", 1);
        await EventuallyAsync(() => pool.IdleCount == 1, "a's shim idle");

        var bLog = Path.Combine(IterationDir, "b.shim.log");
        pool.TryAssign("b", 1, await WriteSpecAsync(Spec("b", pool.Name, FakeAgent.Argv("echo", "second"))), bLog).ShouldBeTrue();
        await EventuallyAsync(() => File.Exists(WorkerFiles.For(IterationDir, "b").ExitJson), "b's exit.json");

        host.IsCompleted.ShouldBeFalse("the shim stays linked while the orchestrator may hand it more");
        (await WorkerExitRecord.ReadAsync(WorkerFiles.For(IterationDir, "b").ExitJson, Ct)).Outcome.ShouldBe(WorkerOutcome.Succeeded);
        (await File.ReadAllTextAsync(WorkerFiles.For(IterationDir, "b").Log, Ct)).ShouldBe("second\n");
        (await File.ReadAllTextAsync(WorkerFiles.For(IterationDir, "a").Log, Ct)).ShouldBe("first\n");
        WorkerClaim.TryRead(IterationDir, "b")!.ShimPid.ShouldBe(Environment.ProcessId);
        (await File.ReadAllTextAsync(bLog, Ct)).ShouldContain("[fleet] b iteration 1 succeeded");
        firstView.ToString().ShouldContain("[fleet] a iteration 1 succeeded");
        firstView.ToString().ShouldNotContain("[fleet] b", Case.Sensitive, "b's view goes to b's log");

        pool.Ended("b", 1);
        pool.Dispose();
        var last = await host.DefaultTimeout();
        last.Worker.ShouldBe("b");
    }

    [Fact]
    public async Task A_late_claimed_line_of_an_ended_worker_does_not_erase_the_next_assignment_of_its_shim()
    {
        using var pool = StartPool();
        using (var shim = ShimLink.TryConnect(pool.Name).ShouldNotBeNull())
        {
            shim.TrySend(new ShimLinkMessage { Worker = "a", Iteration = 1 }).ShouldBeTrue();
            pool.Ended("a", 1);
            await EventuallyAsync(() => pool.IdleCount == 1, "a's shim idle");
            pool.TryAssign("b", 1, Path.Combine(IterationDir, "b.spec.json"), Path.Combine(IterationDir, "b.shim.log")).ShouldBeTrue();

            // The pool reads the shim's lines on its own task: under load, a's "claimed" line can be read after a
            // ended and the shim was handed b. The shim then holds b, and must not look idle.
            shim.TrySend(new ShimLinkMessage { Worker = "a", Iteration = 1 }).ShouldBeTrue();
        }

        // The shim goes away holding b: b is reported, so the orchestrator looks at its files again.
        (string Worker, int Iteration) lost = default;
        await EventuallyAsync(() => pool.TryTakeLost(out lost), "b reported as handed to a shim that went away");
        lost.ShouldBe(("b", 1));
    }

    [Fact]
    public async Task A_handed_worker_that_already_ran_is_refused_reported_and_the_shim_waits_for_the_next()
    {
        using var pool = StartPool();
        var host = WorkerShimHost.RunAsync(Spec("a", pool.Name, FakeAgent.Argv("echo", "first")), null, Ct);
        await EventuallyAsync(() => File.Exists(WorkerFiles.For(IterationDir, "a").ExitJson), "a's exit.json");
        pool.Ended("a", 1);
        await EventuallyAsync(() => pool.IdleCount == 1, "a's shim idle");

        // "done" has its exit.json already: a (worker, iteration) runs once, whoever is asked to run it.
        await new WorkerExitRecord { Worker = "done", Iteration = 1, StartedAt = DateTimeOffset.UtcNow, EndedAt = DateTimeOffset.UtcNow, Outcome = WorkerOutcome.Succeeded }
            .WriteAtomicallyAsync(WorkerFiles.For(IterationDir, "done").ExitJson, Ct);
        pool.TryAssign("done", 1, await WriteSpecAsync(Spec("done", pool.Name, FakeAgent.Argv("echo", "again"))), Path.Combine(IterationDir, "done.shim.log")).ShouldBeTrue();

        (string Worker, int Iteration) lost = default;
        await EventuallyAsync(() => pool.TryTakeLost(out lost), "the refusal reported");
        lost.ShouldBe(("done", 1));
        _wakes.ShouldBeGreaterThan(0);
        File.Exists(WorkerFiles.For(IterationDir, "done").Log).ShouldBeFalse("nothing ran");
        await EventuallyAsync(() => pool.IdleCount == 1, "the shim idle again");

        pool.TryAssign("c", 1, await WriteSpecAsync(Spec("c", pool.Name, FakeAgent.Argv("echo", "third"))), Path.Combine(IterationDir, "c.shim.log")).ShouldBeTrue();
        await EventuallyAsync(() => File.Exists(WorkerFiles.For(IterationDir, "c").ExitJson), "c's exit.json");
        pool.Dispose();
        (await host.DefaultTimeout()).Worker.ShouldBe("c");
    }

    [Fact]
    public async Task A_shim_that_goes_away_before_running_what_it_was_handed_is_reported_lost()
    {
        using var pool = StartPool();
        using var shim = ShimLink.TryConnect(pool.Name).ShouldNotBeNull();

        // The orchestrator may read a worker's exit.json before it reads that shim's line: the shim is idle all the same.
        pool.Ended("a", 1);
        shim.TrySend(new ShimLinkMessage { Worker = "a", Iteration = 1 }).ShouldBeTrue();
        await EventuallyAsync(() => pool.IdleCount == 1, "the shim idle");

        pool.TryAssign("b", 1, "/nowhere/b.spec.json", "/nowhere/b.shim.log").ShouldBeTrue();
        var handed = await shim.ReceiveAsync(Ct).DefaultTimeout();
        handed.ShouldNotBeNull().Spec.ShouldBe("/nowhere/b.spec.json");
        pool.IdleCount.ShouldBe(0);
        shim.Dispose();

        (string Worker, int Iteration) lost = default;
        await EventuallyAsync(() => pool.TryTakeLost(out lost), "b reported lost");
        lost.ShouldBe(("b", 1));
        _wakes.ShouldBeGreaterThan(0);
        pool.TryAssign("c", 1, "/nowhere/c.spec.json", "/nowhere/c.shim.log").ShouldBeFalse("no shim is left");
    }

    [Fact]
    public async Task Idle_shims_beyond_what_the_run_can_use_are_let_go_and_see_the_link_end()
    {
        using var pool = StartPool();
        using var first = ShimLink.TryConnect(pool.Name).ShouldNotBeNull();
        using var second = ShimLink.TryConnect(pool.Name).ShouldNotBeNull();
        first.TrySend(new ShimLinkMessage { Worker = "a", Iteration = 1 });
        second.TrySend(new ShimLinkMessage { Worker = "b", Iteration = 1 });
        await EventuallyAsync(() => { pool.Ended("a", 1); pool.Ended("b", 1); return pool.IdleCount == 2; }, "both idle");

        pool.Trim(keep: 1);

        pool.IdleCount.ShouldBe(1);
        var ends = await Task.WhenAny(first.ReceiveAsync(Ct), second.ReceiveAsync(Ct)).DefaultTimeout();
        (await ends).ShouldBeNull("the let-go shim reads the end of its link");
        _wakes.ShouldBe(0, "letting an idle shim go loses nothing");
    }

    [Fact]
    public void A_link_to_an_orchestrator_that_is_gone_is_no_link()
    {
        string name;
        using (var pool = StartPool())
        {
            name = pool.Name;
        }

        ShimLink.TryConnect(name).ShouldBeNull();
    }
}
