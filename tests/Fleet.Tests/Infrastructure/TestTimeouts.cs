namespace Fleet.Tests.Infrastructure;

/// <summary>Every await in a test is bounded, so a hang fails the test instead of the CI run.</summary>
public static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task<T> SlowTimeout<T>(this Task<T> task) => task.WaitAsync(Slow, TestContext.Current.CancellationToken);

    public static Task SlowTimeout(this Task task) => task.WaitAsync(Slow, TestContext.Current.CancellationToken);
}
