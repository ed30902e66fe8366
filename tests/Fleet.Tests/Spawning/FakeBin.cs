using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Spawning;

/// <summary>A folder to use as the whole PATH: fake programs (shell scripts) and links to real ones.</summary>
internal sealed class FakeBin : IDisposable
{
    private readonly TempDir _dir = new("fleet-bin-");

    public string Path => _dir.Path;

    /// <summary>A program that prints <paramref name="output"/> and exits with <paramref name="exitCode"/>, whatever its arguments.</summary>
    public FakeBin Script(string name, string output, int exitCode = 0)
    {
        var file = _dir.Write(name, $"#!/bin/sh\nprintf '%s\\n' '{output.Replace("'", "'\\''", StringComparison.Ordinal)}'\nexit {exitCode}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return this;
    }

    /// <summary>A link to the real program <paramref name="name"/> (found on this process's PATH).</summary>
    public FakeBin Real(string name)
    {
        var real = Fleet.Orchestration.Spawning.ToolProbe.FindOnPath(name, Environment.GetEnvironmentVariable("PATH"))
            ?? throw new InvalidOperationException($"{name} is not on this machine's PATH; run scripts/setup.sh");
        File.CreateSymbolicLink(_dir.Combine(name), real);
        return this;
    }

    public void Dispose() => _dir.Dispose();
}
