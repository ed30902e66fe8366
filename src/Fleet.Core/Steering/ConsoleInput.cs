namespace Fleet.Steering;

/// <summary>Which gate of the worker is waiting for a person, as far as the keys are concerned.</summary>
public enum PendingGate
{
    None,
    Permission,
    Question,
}

/// <summary>What a key or a line asks for.</summary>
public enum ConsoleActionKind
{
    /// <summary>Nothing to do (an ignored key, an empty line).</summary>
    None,

    /// <summary>Show <see cref="ConsoleAction.Text"/> on the screen as typed (echo, or erasing with backspaces).</summary>
    Echo,

    /// <summary>Tell the agent <see cref="ConsoleAction.Text"/> (<c>fleet say</c>).</summary>
    Say,

    /// <summary>Interrupt the current turn, then tell the agent <see cref="ConsoleAction.Text"/> (<c>fleet say --now</c>).</summary>
    SayNow,

    /// <summary>Stop the current turn only (<c>fleet interrupt</c>).</summary>
    Interrupt,

    /// <summary>Approve the pending gate once (<c>fleet approve</c>).</summary>
    Approve,

    /// <summary>Approve it for the rest of the run (<c>fleet approve --always</c>).</summary>
    ApproveAlways,

    /// <summary>Deny it, with <see cref="ConsoleAction.Text"/> as the message when given (<c>fleet deny</c>).</summary>
    Deny,

    /// <summary>Answer the pending question with <see cref="ConsoleAction.Text"/> (<c>fleet answer</c>).</summary>
    Answer,

    /// <summary>Show <see cref="ConsoleAction.Text"/> as a hint (help, a mistake, why Ctrl+C does nothing here).</summary>
    Hint,

    /// <summary>Leave the viewer (the worker goes on).</summary>
    Quit,
}

/// <param name="Text">The message, the echo, the denial's message, the answer or the hint; null when the action has none.</param>
/// <param name="Echo">What to show first of the key that led to it (the Enter, the answering key).</param>
public sealed record ConsoleAction(ConsoleActionKind Kind, string? Text = null, string? Echo = null)
{
    public static readonly ConsoleAction Nothing = new(ConsoleActionKind.None);
}

/// <summary>The line being typed, and whether the keys are inside a terminal escape sequence (an arrow key).</summary>
public sealed record KeyState(string Line, EscapeState Escape)
{
    public static readonly KeyState Empty = new(string.Empty, EscapeState.None);
}

/// <summary>Where an escape sequence stands: ESC, then <c>[</c> (CSI) or <c>O</c> (SS3), then its final character.</summary>
public enum EscapeState
{
    None,
    Escape,
    Csi,
    Ss3,
}

/// <summary>
/// The steering console's decisions, pure: a worker's tmux window and <c>fleet attach ROOT WORKER</c> read keys (or lines,
/// from a pipe) and act through the same use cases as <c>fleet say</c>, <c>fleet interrupt</c> and <c>fleet approve|deny|answer</c>.
/// </summary>
public static class ConsoleInput
{
    public const char ApproveKey = 'a';
    public const char ApproveAlwaysKey = 'A';
    public const char DenyKey = 'd';

    /// <summary>
    /// One key typed at a terminal. Keys that start an empty line answer a pending gate (<c>a</c>, <c>A</c>, <c>d</c>; a digit
    /// picks a question's option); any other key is typed into the line, which Enter sends (<see cref="Line"/>).
    /// </summary>
    /// <param name="canQuit">True in <c>fleet attach</c> (Ctrl+C and Ctrl+D on an empty line leave); false in the worker's window.</param>
    public static (KeyState State, ConsoleAction Action) Key(KeyState state, char key, PendingGate gate, bool canQuit)
    {
        ArgumentNullException.ThrowIfNull(state);
        switch (state.Escape)
        {
            case EscapeState.Escape:
                return (state with { Escape = key == '[' ? EscapeState.Csi : key == 'O' ? EscapeState.Ss3 : EscapeState.None }, ConsoleAction.Nothing);
            case EscapeState.Csi:
                // Parameters and intermediates run until a final character in @..~.
                return (key is >= '@' and <= '~' ? state with { Escape = EscapeState.None } : state, ConsoleAction.Nothing);
            case EscapeState.Ss3:
                return (state with { Escape = EscapeState.None }, ConsoleAction.Nothing);
        }

        switch (key)
        {
            case '\u001b':
                return (state with { Escape = EscapeState.Escape }, ConsoleAction.Nothing);
            case '\r' or '\n':
                return (KeyState.Empty, state.Line.Length == 0 ? ConsoleAction.Nothing : Line(state.Line, gate) with { Echo = "\n" });
            case '\u007f' or '\b':
                return state.Line.Length == 0 ? (state, ConsoleAction.Nothing) : (state with { Line = DropLastCharacter(state.Line) }, new ConsoleAction(ConsoleActionKind.Echo, "\b \b"));
            case '\u0015': // Ctrl+U: forget the line typed so far.
                return (KeyState.Empty, state.Line.Length == 0 ? ConsoleAction.Nothing : new ConsoleAction(ConsoleActionKind.Echo, " (cleared)\n"));
            case '\u0003':
                return (KeyState.Empty, canQuit ? new ConsoleAction(ConsoleActionKind.Quit) : new ConsoleAction(ConsoleActionKind.Hint, CtrlCHint));
            case '\u0004':
                return (state, canQuit && state.Line.Length == 0 ? new ConsoleAction(ConsoleActionKind.Quit) : ConsoleAction.Nothing);
        }

        if (char.IsControl(key))
        {
            return (state, ConsoleAction.Nothing);
        }

        if (state.Line.Length == 0)
        {
            var answer = gate switch
            {
                PendingGate.Permission when key == ApproveKey => new ConsoleAction(ConsoleActionKind.Approve),
                PendingGate.Permission when key == ApproveAlwaysKey => new ConsoleAction(ConsoleActionKind.ApproveAlways),
                PendingGate.Permission or PendingGate.Question when key == DenyKey => new ConsoleAction(ConsoleActionKind.Deny),
                PendingGate.Question when key is >= '1' and <= '9' => new ConsoleAction(ConsoleActionKind.Answer, key.ToString()),
                _ => null,
            };
            if (answer is not null)
            {
                return (state, answer with { Echo = key + "\n" });
            }
        }

        return (state with { Line = state.Line + key }, new ConsoleAction(ConsoleActionKind.Echo, key.ToString()));
    }

    /// <summary>
    /// One whole line (Enter at a terminal, or a line from a pipe): a message for the agent, or a command. Commands start
    /// with <c>/</c>; <c>//</c> sends a message that starts with <c>/</c>. An unknown command is a hint, never sent.
    /// </summary>
    public static ConsoleAction Line(string line, PendingGate gate)
    {
        ArgumentNullException.ThrowIfNull(line);
        var text = line.Trim();
        if (text.Length == 0)
        {
            return ConsoleAction.Nothing;
        }

        if (text.StartsWith("//", StringComparison.Ordinal))
        {
            return new ConsoleAction(ConsoleActionKind.Say, text[1..]);
        }

        if (text[0] != '/')
        {
            return new ConsoleAction(ConsoleActionKind.Say, text);
        }

        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var command = space < 0 ? text : text[..space];
        var rest = space < 0 ? null : text[(space + 1)..].Trim() is { Length: > 0 } r ? r : null;
        var noGate = new ConsoleAction(ConsoleActionKind.Hint, $"{command}: no gate of this worker is waiting");
        return command switch
        {
            "/now" => rest is null ? new ConsoleAction(ConsoleActionKind.Hint, "/now MESSAGE: interrupt the turn, then tell the agent MESSAGE") : new ConsoleAction(ConsoleActionKind.SayNow, rest),
            "/interrupt" => rest is null ? new ConsoleAction(ConsoleActionKind.Interrupt) : new ConsoleAction(ConsoleActionKind.Hint, "/interrupt takes no message; /now MESSAGE interrupts and tells"),
            "/approve" => gate == PendingGate.Permission ? new ConsoleAction(ConsoleActionKind.Approve) : noGate,
            "/always" => gate == PendingGate.Permission ? new ConsoleAction(ConsoleActionKind.ApproveAlways) : noGate,
            "/deny" => gate != PendingGate.None ? new ConsoleAction(ConsoleActionKind.Deny, rest) : noGate,
            "/answer" => gate == PendingGate.Question && rest is not null ? new ConsoleAction(ConsoleActionKind.Answer, rest)
                : gate == PendingGate.Question ? new ConsoleAction(ConsoleActionKind.Hint, "/answer ANSWER: an option's number or label, or your own words") : noGate,
            "/help" => new ConsoleAction(ConsoleActionKind.Hint, Help),
            _ => new ConsoleAction(ConsoleActionKind.Hint, $"unknown command {command} (not sent); {Help}"),
        };
    }

    /// <summary>The one line a worker's window or <c>fleet attach ROOT WORKER</c> opens with: how to steer from here.</summary>
    /// <param name="keys">True at a terminal (single keys answer gates); false for lines from a pipe.</param>
    /// <param name="canQuit">True in <c>fleet attach</c>.</param>
    public static string Header(string worker, bool keys, bool canQuit)
    {
        var gates = keys ? "a gate: a approve once, A always, d deny" : "a gate: /approve, /always, /deny [MESSAGE]";
        var leave = canQuit ? (keys ? "Ctrl+C leaves" : "end of input leaves the view open") : "closing this window or Ctrl+C leaves the worker running";
        return $"[fleet] steer {worker}: type a line + Enter to tell it (/now MSG interrupts first, /interrupt, /help); {gates}; {leave}";
    }

    /// <summary>What a person sees when a gate of the worker opens: the exact request and the keys that answer it.</summary>
    public static string GatePrompt(string gateId, PendingGate gate, string tool, string summary, bool keys)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var what = summary.ReplaceLineEndings(" ⏎ ");
        var how = (gate, keys) switch
        {
            (PendingGate.Question, true) => "press 1-9 for an option, d to deny, or type /answer ANSWER",
            (PendingGate.Question, false) => "/answer ANSWER or /deny [MESSAGE]",
            (_, true) => "press a to approve once, A to approve always, d to deny (/deny MESSAGE to say why)",
            _ => "/approve, /always or /deny [MESSAGE]",
        };
        return $"[fleet] gate {gateId} needs you: {tool}: {what} — {how}";
    }

    public const string Help = "MESSAGE + Enter tells the agent; /now MESSAGE interrupts first; /interrupt stops the turn; /approve, /always, /deny [MESSAGE], /answer ANSWER settle a waiting gate; //text sends /text";

    public const string CtrlCHint = "[fleet] Ctrl+C does not stop the worker here (fleet kill does); /interrupt stops its turn";

    private static string DropLastCharacter(string line)
    {
        var last = 0;
        var index = 0;
        foreach (var rune in line.EnumerateRunes())
        {
            last = index;
            index += rune.Utf16SequenceLength;
        }

        return line[..last];
    }
}
