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

    /// <summary>Width, colour and whether stdout is a terminal: every human report renders from this one decision.</summary>
    Terminal Terminal => IsInteractive ? Terminal.Decide(true, null, GetEnvironmentVariable) : Terminal.NotATty;
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

    public Terminal Terminal => Terminal.Decide(!Console.IsOutputRedirected, Console.IsOutputRedirected ? null : Width(), GetEnvironmentVariable);

    /// <summary>
    /// The runtime puts a terminal in application keypad mode (<c>ESC[?1h ESC=</c>) when it first writes to it and never
    /// takes it out; the shell after fleet expects normal mode (<c>ESC[?1l ESC&gt;</c>), so fleet sets it back as it exits.
    /// </summary>
    public static void RestoreKeypad()
    {
        var writer = !Console.IsOutputRedirected ? Console.Out : !Console.IsErrorRedirected ? Console.Error : null;
        if (writer is null)
            return;
        writer.Write(Terminal.KeypadNormal);
        writer.Flush();
    }

    private static int? Width()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
