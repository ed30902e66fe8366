namespace Fleet.Processes;

/// <summary>Receives one chunk of a child's output, as read from the pipe (not split into lines).</summary>
public delegate ValueTask OutputSink(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken);

/// <summary>What the agent's stdin is.</summary>
public enum StdinMode
{
    /// <summary>Closed at once: the agent reads end-of-file, as from /dev/null, and never waits for input.</summary>
    Closed,

    /// <summary>A pipe kept open; write to <see cref="AgentProcess.StandardInput"/> and close it when done.</summary>
    HeldOpen,
}

/// <summary>How to launch one agent.</summary>
public sealed record AgentProcessOptions
{
    /// <summary>The program and its arguments, one element each. Never a shell string: prompts hold quotes.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>The working directory; null for ours. It must exist.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Changes to the inherited environment: a value sets the variable, null removes it.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public StdinMode Stdin { get; init; } = StdinMode.Closed;

    /// <summary>Where stdout goes, chunk by chunk as read; null discards it (it is still read, so the agent never blocks).</summary>
    public OutputSink? Stdout { get; init; }

    /// <summary>Where stderr goes; null discards it.</summary>
    public OutputSink? Stderr { get; init; }

    /// <summary>
    /// After the agent exits, how long its pipes may stay open before we stop reading. A grandchild that inherited
    /// stdout keeps the pipe open after the agent is gone, so "exited" and "drained" are separate events.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Prefix <c>env --default-signal=PIPE,INT,TERM</c> (the default). .NET ignores SIGPIPE and its children inherit
    /// that, so without it <c>yes | head -1</c> inside an agent's tool call fails with "Broken pipe" instead of ending
    /// quietly; and a fleet started from a script's background job inherits SIGINT ignored, which would make the stop
    /// ladder's first step (the agent's Ctrl+C) do nothing. Off only to demonstrate the difference in tests.
    /// </summary>
    public bool RestoreDefaultSignals { get; init; } = true;

    /// <summary>The clock for start and end times.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
