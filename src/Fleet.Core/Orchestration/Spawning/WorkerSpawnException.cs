namespace Fleet.Orchestration.Spawning;

/// <summary>A spawn could not start the worker; the message says why and what to do.</summary>
public sealed class WorkerSpawnException : Exception
{
    public WorkerSpawnException(string message)
        : base(message)
    {
    }

    public WorkerSpawnException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WorkerSpawnException()
    {
    }
}
