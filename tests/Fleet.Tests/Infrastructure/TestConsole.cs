using Fleet.Cli;
using Fleet.Cli.Hosting;

namespace Fleet.Tests.Infrastructure;

/// <summary>An in-memory console: runs the real command tree in-process and keeps what it printed.</summary>
public sealed class TestConsole(string currentDirectory, IReadOnlyDictionary<string, string>? environment = null) : ICliConsole, IDisposable
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public TextWriter Out => _out;

    public TextWriter Error => _error;

    public bool IsInteractive => false;

    public string CurrentDirectory { get; } = currentDirectory;

    public string Stdout => _out.ToString();

    public string Stderr => _error.ToString();

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
    }

    public string? GetEnvironmentVariable(string name) =>
        environment is not null && environment.TryGetValue(name, out var value) ? value : null;

    /// <summary>Runs <c>fleet ARGS</c> in-process; returns the exit code.</summary>
    public static Task<(int ExitCode, TestConsole Console)> RunAsync(string currentDirectory, params string[] args) =>
        RunAsync(currentDirectory, new Dictionary<string, string>(), args);

    /// <summary>Runs <c>fleet ARGS</c> in-process with extra environment variables.</summary>
    public static Task<(int ExitCode, TestConsole Console)> RunAsync(string currentDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunWithinAsync(TestTimeouts.Slow, currentDirectory, environment, args);

    /// <summary>Runs <c>fleet ARGS</c> in-process, bounded by <paramref name="bound"/> (a command that follows a whole team run with real CLIs).</summary>
    public static async Task<(int ExitCode, TestConsole Console)> RunWithinAsync(TimeSpan bound, string currentDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
#pragma warning disable CA2000 // The caller owns the console it gets back.
        var variables = new Dictionary<string, string>
        {
            ["FLEET_HOME"] = Path.Combine(currentDirectory, ".fleet-home"),
            ["FLEET_COMMAND"] = RepoPaths.FleetCommand,
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        };
        foreach (var (name, value) in environment)
        {
            variables[name] = value; // The test's own value wins over the defaults.
        }

        var console = new TestConsole(currentDirectory, variables);
#pragma warning restore CA2000
        // launch --wait and resume --wait follow whole runs: bounded, but by the slow limit.
        var code = await FleetApp.RunAsync(args, console, TestContext.Current.CancellationToken).WaitAsync(bound, TestContext.Current.CancellationToken);
        return (code, console);
    }
}
