namespace Fleet.Workers;

/// <summary>
/// A person's voice into a running agent, held by the shim that holds the agent's input: claude's stream-json stdin
/// (<see cref="ClaudeControl"/>) or codex's app-server session. Each call returns once the message or the interrupt
/// has been handed to the agent (written to its input), not once the model has read it.
/// </summary>
public interface IAgentSteering
{
    /// <summary>
    /// Hands <paramref name="text"/> to the agent as a user message: it takes it at the earliest point its CLI allows
    /// (claude: the next tool boundary of the current turn, else as the next turn). With <paramref name="now"/> the
    /// current turn is interrupted first and the message is the next user turn; the agent is never restarted.
    /// </summary>
    /// <exception cref="SteeringRefusedException">The agent can take no more input (its last turn ended, it exited).</exception>
    Task SayAsync(string text, bool now, CancellationToken cancellationToken);

    /// <summary>Stops the current turn only; the agent stays alive and waits for the next message.</summary>
    /// <exception cref="SteeringRefusedException">The agent can take no more input.</exception>
    Task InterruptAsync(CancellationToken cancellationToken);
}

/// <summary>The agent did not take the message or interrupt; the message says why (for the person).</summary>
public sealed class SteeringRefusedException : InvalidOperationException
{
    public SteeringRefusedException()
    {
    }

    public SteeringRefusedException(string message)
        : base(message)
    {
    }

    public SteeringRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
