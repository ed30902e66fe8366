namespace Fleet.Team;

/// <summary>Team mode cannot go on as asked; the message says what and where, for the person.</summary>
public sealed class TeamException : Exception
{
    public TeamException(string message)
        : base(message)
    {
    }

    public TeamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TeamException()
    {
    }
}
