using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Processes;

/// <summary>For facts with no event to await (another process's file, a group emptying): poll, bounded.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {TestTimeouts.Default} waiting until {what}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
