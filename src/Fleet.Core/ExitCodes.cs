namespace Fleet;

/// <summary>The exit codes of the README: a contract that scripts and docs depend on.</summary>
public static class ExitCodes
{
    /// <summary>The fleet finished as asked.</summary>
    public const int Success = 0;

    /// <summary>The fleet finished without success: a worker failed, or a stop rule ended it without approval.</summary>
    public const int Failed = 1;

    /// <summary>Usage or validation error; nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>Needs a person: escalated, paused, or waiting on an approval.</summary>
    public const int NeedsPerson = 3;

    /// <summary>Internal error; the message names the log file.</summary>
    public const int Internal = 4;
}
