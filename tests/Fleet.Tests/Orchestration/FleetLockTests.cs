using System.Diagnostics;
using Fleet.Orchestration;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;

namespace Fleet.Tests.Orchestration;

/// <summary>The one-orchestrator-per-root lock, held by real processes (util-linux <c>flock</c>, the same flock(2) lock).</summary>
public class FleetLockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_orchestrator_takes_the_lock_once_the_process_that_held_it_has_exited()
    {
        using var dir = new TempDir();
        var layout = new FleetLayout(dir.Path);
        using var holder = await HoldAsync(layout, "0.3");

        using var acquired = await FleetLock.AcquireAsync(layout, TimeSpan.FromSeconds(20), TimeProvider.System, Ct).DefaultTimeout();

        acquired.ShouldNotBeNull("the lock was free once its holder exited");
        FleetLock.IsHeld(layout).ShouldBeTrue("this process holds it now");
        // The kernel releases the lock as the holder exits, a moment before its parent can reap it.
        await holder.WaitForExitAsync(Ct).DefaultTimeout();
    }

    [Fact]
    public async Task No_lock_while_another_process_holds_it_past_the_wait()
    {
        using var dir = new TempDir();
        var layout = new FleetLayout(dir.Path);
        using var holder = await HoldAsync(layout, "60");
        try
        {
            var acquired = await FleetLock.AcquireAsync(layout, TimeSpan.FromMilliseconds(200), TimeProvider.System, Ct).DefaultTimeout();

            acquired.ShouldBeNull();
            FleetLock.TryAcquire(layout).ShouldBeNull();
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync(Ct).DefaultTimeout();
        }
    }

    /// <summary>Starts <c>flock LOCK sleep SECONDS</c> and returns once it holds the lock.</summary>
    private static async Task<Process> HoldAsync(FleetLayout layout, string seconds)
    {
        Directory.CreateDirectory(layout.StateDir);
        var psi = new ProcessStartInfo("flock");
        foreach (var arg in new[] { "--exclusive", FleetLock.PathFor(layout), "sleep", seconds })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        await Eventually.TrueAsync(() => FleetLock.IsHeld(layout) || process.HasExited, "flock took the lock");
        process.HasExited.ShouldBeFalse("flock exited before the test could see it hold the lock");
        return process;
    }
}
