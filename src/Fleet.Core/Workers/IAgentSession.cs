namespace Fleet.Workers;

/// <summary>
/// The shim's side of an agent that it talks to on stdin (claude's control protocol, codex's app-server): it is
/// given the agent's stdin once started, sees every stdout line in order, takes a person's messages
/// (<see cref="IAgentSteering"/>), and settles what is pending at the end.
/// </summary>
internal interface IAgentSession : IAgentSteering, IDisposable
{
    /// <summary>Gives the agent's stdin once it is started.</summary>
    void Attach(Stream stdin);

    /// <summary>Sends what starts the work (the brief, or the handshake that leads to it).</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Called for every stdout line, in order, on the reading thread: never blocks.</summary>
    void OnLine(ReadOnlySpan<byte> line);

    /// <summary>The agent has ended: pending gates are closed and every write finishes.</summary>
    Task CompleteAsync();

    /// <summary>Why the session could not do its work (a refused handshake), for the exit record; null when it could.</summary>
    string? Failure { get; }
}
