using System.Diagnostics;

namespace Fleet.Dashboard;

/// <summary>Opens the dashboard in the person's browser, where there is a desktop to open it on.</summary>
public static class BrowserLauncher
{
    /// <summary>True when a browser was asked to open <paramref name="url"/> (xdg-open, under a graphical session).</summary>
    public static bool TryOpen(Uri url, Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        if (getEnvironmentVariable("DISPLAY") is not { Length: > 0 } && getEnvironmentVariable("WAYLAND_DISPLAY") is not { Length: > 0 })
        {
            return false;
        }

        try
        {
            var start = new ProcessStartInfo("xdg-open") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(url.AbsoluteUri);
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
