using Fleet.Steering;

namespace Fleet.Tests.Steering;

public sealed class ConsoleInputTests
{
    public static TheoryData<string, PendingGate, ConsoleActionKind, string?> Lines => new()
    {
        { "use pnpm, not npm", PendingGate.None, ConsoleActionKind.Say, "use pnpm, not npm" },
        { "  padded  ", PendingGate.None, ConsoleActionKind.Say, "padded" },
        { "", PendingGate.None, ConsoleActionKind.None, null },
        { "   ", PendingGate.Permission, ConsoleActionKind.None, null },
        { "/now stop, the API moved", PendingGate.None, ConsoleActionKind.SayNow, "stop, the API moved" },
        { "/now", PendingGate.None, ConsoleActionKind.Hint, "/now MESSAGE: interrupt the turn, then tell the agent MESSAGE" },
        { "/interrupt", PendingGate.None, ConsoleActionKind.Interrupt, null },
        { "//compact", PendingGate.None, ConsoleActionKind.Say, "/compact" },
        { "/approve", PendingGate.Permission, ConsoleActionKind.Approve, null },
        { "/always", PendingGate.Permission, ConsoleActionKind.ApproveAlways, null },
        { "/deny not in prod", PendingGate.Permission, ConsoleActionKind.Deny, "not in prod" },
        { "/deny", PendingGate.Question, ConsoleActionKind.Deny, null },
        { "/approve", PendingGate.None, ConsoleActionKind.Hint, "/approve: no gate of this worker is waiting" },
        { "/approve", PendingGate.Question, ConsoleActionKind.Hint, "/approve: no gate of this worker is waiting" },
        { "/answer 2", PendingGate.Question, ConsoleActionKind.Answer, "2" },
        { "a", PendingGate.Permission, ConsoleActionKind.Say, "a" },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_line_is_a_message_for_the_agent_or_a_command(string line, PendingGate gate, ConsoleActionKind kind, string? text)
    {
        var action = ConsoleInput.Line(line, gate);

        (action.Kind, action.Text).ShouldBe((kind, text));
    }

    [Fact]
    public void An_unknown_command_is_a_hint_and_is_never_sent()
    {
        var action = ConsoleInput.Line("/aprove", PendingGate.Permission);

        action.Kind.ShouldBe(ConsoleActionKind.Hint);
        action.Text!.ShouldStartWith("unknown command /aprove (not sent)");
    }

    public static TheoryData<char, PendingGate, ConsoleActionKind, string?> FirstKeys => new()
    {
        { 'a', PendingGate.Permission, ConsoleActionKind.Approve, null },
        { 'A', PendingGate.Permission, ConsoleActionKind.ApproveAlways, null },
        { 'd', PendingGate.Permission, ConsoleActionKind.Deny, null },
        { 'd', PendingGate.Question, ConsoleActionKind.Deny, null },
        { '2', PendingGate.Question, ConsoleActionKind.Answer, "2" },
        { '2', PendingGate.Permission, ConsoleActionKind.Echo, "2" },
        { 'a', PendingGate.None, ConsoleActionKind.Echo, "a" },
        { 'a', PendingGate.Question, ConsoleActionKind.Echo, "a" },
        { 'x', PendingGate.Permission, ConsoleActionKind.Echo, "x" },
    };

    [Theory]
    [MemberData(nameof(FirstKeys))]
    public void A_key_on_an_empty_line_answers_a_waiting_gate_or_starts_a_message(char key, PendingGate gate, ConsoleActionKind kind, string? text)
    {
        var (state, action) = ConsoleInput.Key(KeyState.Empty, key, gate, canQuit: false);

        (action.Kind, action.Text).ShouldBe((kind, text));
        state.Line.ShouldBe(kind == ConsoleActionKind.Echo ? key.ToString() : string.Empty);
    }

    [Fact]
    public void Gate_keys_in_the_middle_of_a_line_are_just_typed()
    {
        var (state, _) = Type("d", PendingGate.None);

        var (next, action) = ConsoleInput.Key(state, 'a', PendingGate.Permission, canQuit: false);

        (action.Kind, next.Line).ShouldBe((ConsoleActionKind.Echo, "da"));
    }

    [Fact]
    public void Enter_sends_the_typed_line_and_starts_an_empty_one()
    {
        var (state, _) = Type("use pnpm", PendingGate.None);

        var (next, action) = ConsoleInput.Key(state, '\r', PendingGate.None, canQuit: false);

        (action.Kind, action.Text, action.Echo).ShouldBe((ConsoleActionKind.Say, "use pnpm", "\n"));
        next.ShouldBe(KeyState.Empty);
    }

    [Fact]
    public void Backspace_removes_the_last_character_even_a_two_unit_one()
    {
        var (state, _) = Type("ok😀", PendingGate.None);

        var (next, action) = ConsoleInput.Key(state, '\u007f', PendingGate.None, canQuit: false);

        (next.Line, action.Text).ShouldBe(("ok", "\b \b"));
    }

    [Fact]
    public void An_arrow_keys_escape_sequence_is_ignored_whole()
    {
        var (state, _) = Type("ab\u001b[1;5Dc\u001bOAd", PendingGate.None);

        state.ShouldBe(new KeyState("abcd", EscapeState.None));
    }

    [Theory]
    [InlineData(true, ConsoleActionKind.Quit)]
    [InlineData(false, ConsoleActionKind.Hint)]
    public void Ctrl_C_leaves_fleet_attach_but_never_stops_the_worker_from_its_window(bool canQuit, ConsoleActionKind kind)
    {
        var (_, action) = ConsoleInput.Key(new KeyState("half", EscapeState.None), '\u0003', PendingGate.None, canQuit);

        action.Kind.ShouldBe(kind);
        if (!canQuit)
        {
            action.Text.ShouldBe(ConsoleInput.CtrlCHint);
        }
    }

    [Fact]
    public void Ctrl_D_leaves_fleet_attach_only_on_an_empty_line()
    {
        ConsoleInput.Key(KeyState.Empty, '\u0004', PendingGate.None, canQuit: true).Action.Kind.ShouldBe(ConsoleActionKind.Quit);
        ConsoleInput.Key(new KeyState("x", EscapeState.None), '\u0004', PendingGate.None, canQuit: true).Action.Kind.ShouldBe(ConsoleActionKind.None);
        ConsoleInput.Key(KeyState.Empty, '\u0004', PendingGate.None, canQuit: false).Action.Kind.ShouldBe(ConsoleActionKind.None);
    }

    [Theory]
    [InlineData(true, false, "[fleet] steer api: type a line + Enter to tell it (/now MSG interrupts first, /interrupt, /help); a gate: a approve once, A always, d deny; closing this window or Ctrl+C leaves the worker running")]
    [InlineData(true, true, "[fleet] steer api: type a line + Enter to tell it (/now MSG interrupts first, /interrupt, /help); a gate: a approve once, A always, d deny; Ctrl+C leaves")]
    [InlineData(false, true, "[fleet] steer api: type a line + Enter to tell it (/now MSG interrupts first, /interrupt, /help); a gate: /approve, /always, /deny [MESSAGE]; end of input leaves the view open")]
    public void The_header_says_in_one_line_how_to_steer_from_here(bool keys, bool canQuit, string expected)
    {
        ConsoleInput.Header("api", keys, canQuit).ShouldBe(expected);
    }

    [Theory]
    [InlineData(PendingGate.Permission, true, "[fleet] gate api-1-1 needs you: Bash: rm -rf build ⏎ ls — press a to approve once, A to approve always, d to deny (/deny MESSAGE to say why)")]
    [InlineData(PendingGate.Permission, false, "[fleet] gate api-1-1 needs you: Bash: rm -rf build ⏎ ls — /approve, /always or /deny [MESSAGE]")]
    [InlineData(PendingGate.Question, true, "[fleet] gate api-1-1 needs you: Bash: rm -rf build ⏎ ls — press 1-9 for an option, d to deny, or type /answer ANSWER")]
    public void A_gate_prompt_shows_the_exact_request_and_the_keys_that_answer_it(PendingGate gate, bool keys, string expected)
    {
        ConsoleInput.GatePrompt("api-1-1", gate, "Bash", "rm -rf build\nls", keys).ShouldBe(expected);
    }

    private static (KeyState State, ConsoleAction Last) Type(string keys, PendingGate gate)
    {
        var state = KeyState.Empty;
        var last = ConsoleAction.Nothing;
        foreach (var key in keys)
        {
            (state, last) = ConsoleInput.Key(state, key, gate, canQuit: false);
        }

        return (state, last);
    }
}
