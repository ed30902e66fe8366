namespace Fleet.Cli.Hosting;

/// <summary>A failure the user can act on: its message is shown as is, with its exit code, never a stack trace.</summary>
public sealed class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Usage)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliException()
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int ExitCode { get; } = ExitCodes.Usage;
}
