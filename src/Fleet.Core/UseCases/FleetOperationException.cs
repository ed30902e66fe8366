namespace Fleet.UseCases;

/// <summary>
/// An operation that did not happen, for a reason the person can act on: the message says what and what to do, the
/// exit code is fleet's (<see cref="ExitCodes"/>). Front ends show the message as is, never a stack trace.
/// </summary>
public sealed class FleetOperationException : Exception
{
    public FleetOperationException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>A refusal: exit 2, nothing was started or changed.</summary>
    public FleetOperationException(string message)
        : base(message)
    {
    }

    public FleetOperationException()
    {
    }

    public FleetOperationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int ExitCode { get; } = ExitCodes.Usage;
}
