using System.Diagnostics;
using System.Globalization;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// Busy loops (<c>sh -c 'while :; do :; done'</c>) that keep the CPUs busy while a test runs, for races that only a
/// loaded machine shows. Each runs under <c>timeout</c>, so even a test process that dies leaves none behind for long;
/// disposing stops them all.
/// </summary>
public sealed class CpuLoad : IDisposable
{
    private readonly List<Process> _loops;

    private CpuLoad(List<Process> loops) => _loops = loops;

    public static CpuLoad Start(int count, TimeSpan atMost)
    {
        var loops = new List<Process>();
        for (var i = 0; i < count; i++)
        {
            var start = new ProcessStartInfo("timeout") { UseShellExecute = false };
            foreach (var arg in (string[])[((int)atMost.TotalSeconds).ToString(CultureInfo.InvariantCulture), "sh", "-c", "while :; do :; done"])
            {
                start.ArgumentList.Add(arg);
            }

            loops.Add(Process.Start(start)!);
        }

        return new CpuLoad(loops);
    }

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            try
            {
                loop.Kill(entireProcessTree: true);
                _ = loop.WaitForExit(TestTimeouts.Default);
            }
            catch (InvalidOperationException)
            {
                // Ended already (its timeout).
            }

            loop.Dispose();
        }
    }
}
