namespace Fleet.Cli.Hosting;

/// <summary>
/// The only way commands reach the terminal, so tests run the real command tree in-process
/// with in-memory streams (CliFx's IConsole seam).
/// </summary>
public interface ICliConsole
{
    TextWriter Out { get; }

    TextWriter Error { get; }

    /// <summary>True when stdout is a terminal a person is looking at.</summary>
    bool IsInteractive { get; }

    /// <summary>The working directory that relative paths are resolved against.</summary>
    string CurrentDirectory { get; }

    /// <summary>True when stdin is a terminal a person types at.</summary>
    bool IsInputTerminal => false;

    /// <summary>stdin as raw bytes (no line editing of the runtime's); empty where there is none.</summary>
    Stream OpenInput() => Stream.Null;

    /// <summary>An environment variable as this invocation sees it.</summary>
    string? GetEnvironmentVariable(string name);
}

/// <summary>The process's real console.</summary>
public sealed class SystemCliConsole : ICliConsole
{
    public static SystemCliConsole Instance { get; } = new();

    public TextWriter Out => Console.Out;

    public TextWriter Error => Console.Error;

    public bool IsInteractive => !Console.IsOutputRedirected;

    public bool IsInputTerminal => !Console.IsInputRedirected;

    // Not Console.OpenStandardInput: at a terminal that one edits lines itself, and the steering console reads keys.
    public Stream OpenInput() => new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);

    public string CurrentDirectory => Environment.CurrentDirectory;

    public string? GetEnvironmentVariable(string name) => Environment.GetEnvironmentVariable(name);
}
