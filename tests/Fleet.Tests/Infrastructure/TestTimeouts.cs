namespace Fleet.Tests.Infrastructure;

/// <summary>Every await in a test is bounded, so a hang fails the test instead of the CI run.</summary>
public static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);

    /// <summary>A whole team run with the real CLIs (squads of four agents, wave after wave) on a loaded machine.</summary>
    public static readonly TimeSpan TeamRun = TimeSpan.FromMinutes(10);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task<T> SlowTimeout<T>(this Task<T> task) => task.WaitAsync(Slow, TestContext.Current.CancellationToken);

    public static Task SlowTimeout(this Task task) => task.WaitAsync(Slow, TestContext.Current.CancellationToken);
}
