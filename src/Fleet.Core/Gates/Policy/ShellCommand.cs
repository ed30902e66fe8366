using System.Globalization;
using System.Text;

namespace Fleet.Gates.Policy;

/// <summary>One word of a simple command: its value after quote removal, and what about it only the shell knows.</summary>
/// <param name="Text">The value with quotes and backslashes removed (expansions left as written).</param>
/// <param name="Quoted">It had quotes or backslashes: as a program name, a way to hide what runs.</param>
/// <param name="Dynamic">It holds a <c>$</c> expansion or a substitution: its value is decided at run time.</param>
/// <param name="Pattern">An unquoted glob (<c>* ? [</c>) or brace expansion: the shell turns it into other words.</param>
public sealed record ShellWord(string Text, bool Quoted, bool Dynamic, bool Pattern)
{
    /// <summary>A word known before the command runs.</summary>
    public bool IsStatic => !Dynamic && !Pattern;

    public static ShellWord Literal(string text) => new(text, false, false, false);

    public override string ToString() => Text;
}

/// <summary>A redirection: its operator (<c>&gt;</c>, <c>&gt;&gt;</c>, <c>&amp;&gt;</c>, <c>&lt;</c> …) and its target.</summary>
public sealed record ShellRedirection(string Operator, ShellWord Target)
{
    /// <summary>Replaces the file's content (not an append, not a read).</summary>
    public bool Clobbers => Operator is ">" or ">|" or "&>" or ">&" or "<>";
}

/// <summary>One simple command: its words, redirections and where its standard input comes from.</summary>
public sealed class SimpleCommand
{
    internal SimpleCommand(IReadOnlyList<ShellWord> words, IReadOnlyList<ShellRedirection> redirections, IReadOnlyList<(string Text, bool IsWord)> tokens, bool piped, string? stdin, bool stdinDynamic, bool inSubstitution)
    {
        Words = words;
        Redirections = redirections;
        Tokens = tokens;
        Text = string.Join(' ', tokens.Select(t => t.Text));
        Piped = piped;
        Stdin = stdin;
        StdinDynamic = stdinDynamic;
        InSubstitution = inSubstitution;
    }

    public IReadOnlyList<ShellWord> Words { get; }

    public IReadOnlyList<ShellRedirection> Redirections { get; }

    /// <summary>Words (quotes removed) and redirections in order.</summary>
    internal IReadOnlyList<(string Text, bool IsWord)> Tokens { get; }

    /// <summary>Words and redirections joined by one space: what rules match.</summary>
    public string Text { get; }

    /// <summary>Its standard input is the previous command's output (<c>a | b</c>).</summary>
    public bool Piped { get; }

    /// <summary>A here-document's body or a here-string's text, when it has one.</summary>
    public string? Stdin { get; }

    /// <summary>That input is expanded by the shell (unquoted here-document delimiter, or an expanding here-string).</summary>
    public bool StdinDynamic { get; }

    /// <summary>It runs inside <c>$(…)</c>, backticks or <c>&lt;(…)</c>.</summary>
    public bool InSubstitution { get; }
}

/// <summary>
/// Just enough shell to judge a Bash command: its simple commands (split at <c>&amp;&amp;</c>, <c>||</c>, <c>;</c>,
/// <c>|</c>, <c>&amp;</c>, newlines and groupings outside quotes; the commands inside substitutions too), their words,
/// redirections and here-documents. Not a shell: what it cannot see through it reports (<see cref="Opaque"/>,
/// <see cref="HasSubstitution"/>), and the policy then lets no wildcard rule allow the command.
/// </summary>
public sealed class ShellCommand
{
    private static readonly string[] DroppedPrefixes = ["sudo", "command", "exec", "time", "nohup"];

    private ShellCommand(IReadOnlyList<SimpleCommand> commands, bool hasSubstitution, string? opaque)
    {
        Commands = commands;
        HasSubstitution = hasSubstitution;
        Opaque = opaque;
        var top = commands.Where(c => !c.InSubstitution).ToList();
        var parts = new List<IReadOnlyList<string>>();
        var texts = new List<string>();
        foreach (var command in top)
        {
            var tokens = command.Tokens;
            var start = 0;
            while (start < tokens.Count && tokens[start].IsWord && (IsAssignment(tokens[start].Text) || DroppedPrefixes.Contains(tokens[start].Text)))
            {
                start++;
            }

            if (tokens.Skip(start).Any(t => t.IsWord))
            {
                parts.Add(tokens.Skip(start).Where(t => t.IsWord).Select(t => t.Text).ToList());
                texts.Add(string.Join(' ', tokens.Skip(start).Select(t => t.Text)));
            }
        }

        Parts = parts;
        Texts = texts;
    }

    /// <summary>Every simple command, those inside substitutions too, in the order they appear.</summary>
    public IReadOnlyList<SimpleCommand> Commands { get; }

    /// <summary>Each top-level simple command as words (quotes removed), leading <c>NAME=value</c> assignments and <c>sudo</c> dropped.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Parts { get; }

    /// <summary>Each top-level simple command as text (words and redirections joined by one space): what rules match.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary><c>$(…)</c>, backticks, <c>&lt;(…)</c> or <c>&gt;(…)</c>: commands inside commands.</summary>
    public bool HasSubstitution { get; }

    /// <summary>Why the parser itself cannot follow the command (an unterminated quote, a function definition …), or null.</summary>
    public string? Opaque { get; }

    public static ShellCommand Parse(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parser = new Parser(command);
        parser.ParseList(inSubstitution: false, closing: null);
        return new ShellCommand(parser.Commands, parser.HasSubstitution, parser.Opaque);
    }

    internal static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && word[..equals].All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(word[0]);
    }

    private sealed class Parser(string s)
    {
        private readonly List<(SimpleCommand? Owner, int Index, string Delimiter, bool StripTabs, bool Quoted)> _heredocs = [];
        private int _i;

        public List<SimpleCommand> Commands { get; } = [];

        public bool HasSubstitution { get; private set; }

        public string? Opaque { get; private set; }

        /// <summary>Parses commands until the end, or until the unmatched <paramref name="closing"/> (a substitution's end).</summary>
        public void ParseList(bool inSubstitution, char? closing)
        {
            var words = new List<ShellWord>();
            var texts = new List<(string Text, bool IsWord)>();
            var redirections = new List<ShellRedirection>();
            string? stdin = null;
            var stdinDynamic = false;
            var piped = false;
            var pending = new List<(string Delimiter, bool StripTabs, bool Quoted)>();

            var depth = 0;

            void End(bool pipeNext)
            {
                SimpleCommand? command = null;
                if (words.Count > 0 || redirections.Count > 0)
                {
                    command = new SimpleCommand([.. words], [.. redirections], [.. texts], piped, stdin, stdinDynamic, inSubstitution);
                    Commands.Add(command);
                }

                foreach (var (delimiter, strip, quoted) in pending)
                {
                    _heredocs.Add((command, Commands.Count - 1, delimiter, strip, quoted));
                }

                pending.Clear();
                words.Clear();
                texts.Clear();
                redirections.Clear();
                stdin = null;
                stdinDynamic = false;
                piped = pipeNext;
            }

            while (_i < s.Length)
            {
                var c = s[_i];
                var next = At(_i + 1);
                if (c is ' ' or '\t' or '\r')
                {
                    _i++;
                    continue;
                }

                if (c == '\\' && next == '\n')
                {
                    _i += 2;
                    continue;
                }

                if (c == '#')
                {
                    while (_i < s.Length && s[_i] != '\n')
                    {
                        _i++;
                    }

                    continue;
                }

                if (c == '\n')
                {
                    End(false);
                    _i++;
                    ReadHeredocs();
                    continue;
                }

                if (closing is not null && c == closing && depth == 0)
                {
                    End(false);
                    _i++;
                    return;
                }

                switch (c)
                {
                    case ';':
                        End(false);
                        _i++;
                        continue;
                    case '|':
                        End(next != '|');
                        _i += next is '|' or '&' ? 2 : 1;
                        continue;
                    case '&' when next != '>':
                        End(false);
                        _i += next == '&' ? 2 : 1;
                        continue;
                    case '(':
                        if (words.Count == 1 && texts.Count == 1 && SkipBlanksThen(_i + 1) is var close && At(close) == ')')
                        {
                            Opaque ??= $"defines a function ({words[0].Text})";
                            _i = close + 1;
                            End(false);
                            continue;
                        }

                        End(false);
                        depth++;
                        _i++;
                        continue;
                    case ')':
                        End(false);
                        depth = Math.Max(0, depth - 1);
                        _i++;
                        continue;
                }

                if (c is '<' or '>' && next == '(')
                {
                    // Process substitution: a word whose commands run too.
                    _i += 2;
                    HasSubstitution = true;
                    ParseList(inSubstitution: true, closing: ')');
                    var substitution = new ShellWord($"{c}(…)", false, true, false);
                    words.Add(substitution);
                    texts.Add((substitution.Text, true));
                    continue;
                }

                if (c is '<' or '>' || (c == '&' && next == '>'))
                {
                    // A redirection; a word of digits just before it is its file descriptor.
                    var op = ReadOperator();
                    if (op is "<<" or "<<-")
                    {
                        var delimiter = ReadWord(out var raw);
                        if (delimiter is null)
                        {
                            Opaque ??= "a here-document without a delimiter";
                            continue;
                        }

                        pending.Add((delimiter.Text, op == "<<-", delimiter.Quoted));
                        texts.Add((op + raw, false));
                        stdin = string.Empty;
                        continue;
                    }

                    var target = ReadWord(out _);
                    if (target is null)
                    {
                        Opaque ??= $"a redirection ({op}) without a target";
                        continue;
                    }

                    if (op is ">&" or "<&" && texts.Count > 0 && !texts[^1].IsWord)
                    {
                        texts[^1] = (texts[^1].Text + op + target.Text, false);
                    }
                    else
                    {
                        texts.Add((op, false));
                        texts.Add((target.Text, false));
                    }

                    if (op == "<<<")
                    {
                        stdin = target.Text;
                        stdinDynamic = target.Dynamic;
                    }
                    else if (!(op is ">&" or "<&" && (target.Text == "-" || target.Text.All(char.IsAsciiDigit))))
                    {
                        redirections.Add(new ShellRedirection(op, target));
                    }

                    continue;
                }

                var start = _i;
                var word = ReadWord(out _);
                if (word is null)
                {
                    _i = Math.Max(_i, start + 1);
                    continue;
                }

                if (!word.Quoted && word.Text is "{" or "}" or "!" or "[[" or "]]")
                {
                    // Grouping and test keywords: the commands around them are what runs.
                    if (word.Text is "{" or "}")
                    {
                        End(false);
                    }
                    continue;
                }

                if (At(_i) is '<' or '>' && !word.Quoted && word.Text.All(char.IsAsciiDigit))
                {
                    texts.Add((word.Text, false));
                    continue;
                }

                if (At(_i) == '(' && word.Text.EndsWith('=') && !word.Quoted)
                {
                    // An array assignment a=(1 2): its values are words of the assignment.
                    var end = MatchingParen(_i + 1);
                    var value = s[_i..Math.Min(s.Length, end + 1)];
                    _i = Math.Min(s.Length, end + 1);
                    word = word with { Text = word.Text + value, Dynamic = word.Dynamic || value.Contains('$', StringComparison.Ordinal) };
                }

                words.Add(word);
                texts.Add((word.Text, true));
            }

            End(false);
            if (closing is not null)
            {
                Opaque ??= "an unterminated substitution";
            }
        }

        private char At(int index) => index < s.Length ? s[index] : '\0';

        /// <summary>An unquoted <c>[…]</c> class closed in the same word (a lone <c>[</c> is the test command).</summary>
        private bool IsBracketClass(int open)
        {
            for (var i = open + 1; i < s.Length; i++)
            {
                if (s[i] == ']')
                {
                    return i > open + 1;
                }

                if (s[i] is ' ' or '\t' or '\n' or ';' or '|' or '&' or '<' or '>')
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>An unquoted <c>{a,b}</c> or <c>{1..3}</c> from <paramref name="open"/>: the shell makes several words of it.</summary>
        private bool IsBraceExpansion(int open)
        {
            var separated = false;
            for (var i = open + 1; i < s.Length; i++)
            {
                switch (s[i])
                {
                    case '}':
                        return separated;
                    case ',':
                        separated = true;
                        break;
                    case '.' when At(i + 1) == '.':
                        separated = true;
                        break;
                    case ' ' or '\t' or '\n' or ';' or '|' or '&':
                        return false;
                }
            }

            return false;
        }

        private int SkipBlanksThen(int index)
        {
            while (index < s.Length && s[index] is ' ' or '\t')
            {
                index++;
            }

            return index;
        }

        private int MatchingParen(int index)
        {
            var depth = 1;
            for (; index < s.Length; index++)
            {
                if (s[index] == '(')
                {
                    depth++;
                }
                else if (s[index] == ')' && --depth == 0)
                {
                    return index;
                }
            }

            Opaque ??= "an unterminated parenthesis";
            return s.Length;
        }

        private string ReadOperator()
        {
            string[] operators = ["&>>", "<<<", "<<-", "&>", ">>", ">|", ">&", "<&", "<>", "<<", ">", "<"];
            foreach (var op in operators)
            {
                if (string.CompareOrdinal(s, _i, op, 0, op.Length) == 0)
                {
                    _i += op.Length;
                    return op;
                }
            }

            _i++;
            return s[_i - 1].ToString();
        }

        /// <summary>Reads one word (after blanks); null at a metacharacter or the end.</summary>
        private ShellWord? ReadWord(out string raw)
        {
            while (_i < s.Length && s[_i] is ' ' or '\t')
            {
                _i++;
            }

            var start = _i;
            var text = new StringBuilder();
            bool quoted = false, dynamic = false, pattern = false, any = false;
            while (_i < s.Length)
            {
                var c = s[_i];
                var next = At(_i + 1);
                if (c is ' ' or '\t' or '\n' or '\r' or ';' or '|' or '<' or '>' or '(' or ')' || (c == '&'))
                {
                    if (c == '(' && any && text.Length > 0 && text[^1] is '@' or '?' or '*' or '+' or '!')
                    {
                        pattern = true; // extglob
                    }
                    else
                    {
                        break;
                    }
                }

                any = true;
                switch (c)
                {
                    case '\\':
                        if (next == '\n')
                        {
                            _i += 2;
                            continue;
                        }

                        quoted = true;
                        if (_i + 1 < s.Length)
                        {
                            text.Append(next);
                        }

                        _i += 2;
                        continue;
                    case '\'':
                        quoted = true;
                        var close = s.IndexOf('\'', _i + 1);
                        if (close < 0)
                        {
                            Opaque ??= "an unterminated quote";
                            text.Append(s, _i + 1, s.Length - _i - 1);
                            _i = s.Length;
                            continue;
                        }

                        text.Append(s, _i + 1, close - _i - 1);
                        _i = close + 1;
                        continue;
                    case '"':
                        quoted = true;
                        _i++;
                        ReadDoubleQuoted(text, ref dynamic);
                        continue;
                    case '$':
                        if (next == '\'')
                        {
                            quoted = true;
                            _i += 2;
                            text.Append(ReadAnsiC());
                            continue;
                        }

                        if (next == '"')
                        {
                            _i++;
                            continue;
                        }

                        ReadDollar(text, ref dynamic);
                        continue;
                    case '`':
                        ReadBackticks(text);
                        dynamic = true;
                        continue;
                    case '*' or '?':
                        pattern = true;
                        break;
                    case '[' when IsBracketClass(_i):
                        pattern = true;
                        break;
                    case '{' when IsBraceExpansion(_i):
                        pattern = true;
                        break;
                }

                text.Append(c);
                _i++;
            }

            raw = s[start.._i];
            return any ? new ShellWord(text.ToString(), quoted, dynamic, pattern) : null;
        }

        private void ReadDoubleQuoted(StringBuilder text, ref bool dynamic)
        {
            while (_i < s.Length)
            {
                var c = s[_i];
                if (c == '"')
                {
                    _i++;
                    return;
                }

                if (c == '\\' && _i + 1 < s.Length)
                {
                    var next = s[_i + 1];
                    if (next is '$' or '`' or '"' or '\\')
                    {
                        text.Append(next);
                    }
                    else if (next != '\n')
                    {
                        text.Append(c).Append(next);
                    }

                    _i += 2;
                    continue;
                }

                if (c == '$' && At(_i + 1) is not ('"' or '\0' or ' '))
                {
                    ReadDollar(text, ref dynamic);
                    continue;
                }

                if (c == '`')
                {
                    ReadBackticks(text);
                    dynamic = true;
                    continue;
                }

                text.Append(c);
                _i++;
            }

            Opaque ??= "an unterminated quote";
        }

        private void ReadDollar(StringBuilder text, ref bool dynamic)
        {
            var next = At(_i + 1);
            if (next == '(' && At(_i + 2) == '(')
            {
                // $((…)): arithmetic; a substitution inside it is not followed.
                var end = MatchingParen(_i + 3);
                var inner = s[(_i + 3)..Math.Min(s.Length, end)];
                if (inner.Contains("$(", StringComparison.Ordinal) || inner.Contains('`', StringComparison.Ordinal))
                {
                    HasSubstitution = true;
                    Opaque ??= "a command substitution inside $((…))";
                }

                dynamic = true;
                var stop = Math.Min(s.Length, end + 2);
                text.Append(s, _i, stop - _i);
                _i = stop;
                return;
            }

            if (next == '(')
            {
                // $(…): their commands run too; the word's value is decided at run time.
                HasSubstitution = true;
                dynamic = true;
                var start = _i;
                _i += 2;
                ParseList(inSubstitution: true, closing: ')');
                text.Append(s, start, _i - start);
                return;
            }

            if (next == '{')
            {
                var close = MatchingBrace(_i + 2);
                var inner = s[(_i + 2)..Math.Min(s.Length, close)];
                if (inner.Contains("$(", StringComparison.Ordinal) || inner.Contains('`', StringComparison.Ordinal))
                {
                    HasSubstitution = true;
                    Opaque ??= "a command substitution inside ${…}";
                }

                dynamic = true;
                text.Append(s, _i, Math.Min(s.Length, close + 1) - _i);
                _i = Math.Min(s.Length, close + 1);
                return;
            }

            if (char.IsAsciiLetterOrDigit(next) || next is '_' or '@' or '*' or '#' or '?' or '$' or '!' or '-')
            {
                dynamic = true;
                var start = _i;
                _i++;
                if (char.IsAsciiLetter(next) || next == '_')
                {
                    while (_i < s.Length && (char.IsAsciiLetterOrDigit(s[_i]) || s[_i] == '_'))
                    {
                        _i++;
                    }
                }
                else
                {
                    _i++;
                }

                text.Append(s, start, _i - start);
                return;
            }

            text.Append('$');
            _i++;
        }

        private int MatchingBrace(int index)
        {
            var depth = 1;
            for (; index < s.Length; index++)
            {
                if (s[index] == '{')
                {
                    depth++;
                }
                else if (s[index] == '}' && --depth == 0)
                {
                    return index;
                }
            }

            Opaque ??= "an unterminated ${…}";
            return s.Length;
        }

        private void ReadBackticks(StringBuilder text)
        {
            HasSubstitution = true;
            var body = new StringBuilder();
            var i = _i + 1;
            for (; i < s.Length && s[i] != '`'; i++)
            {
                if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is '`' or '\\' or '$')
                {
                    i++;
                }

                body.Append(s[i]);
            }

            if (i >= s.Length)
            {
                Opaque ??= "an unterminated backtick";
            }

            var inner = Parse(body.ToString());
            Commands.AddRange(inner.Commands.Select(c => new SimpleCommand(c.Words, c.Redirections, c.Tokens, c.Piped, c.Stdin, c.StdinDynamic, true)));
            Opaque ??= inner.Opaque;
            text.Append(s, _i, Math.Min(s.Length, i + 1) - _i);
            _i = Math.Min(s.Length, i + 1);
        }

        private string ReadAnsiC()
        {
            var text = new StringBuilder();
            while (_i < s.Length && s[_i] != '\'')
            {
                var c = s[_i++];
                if (c != '\\' || _i >= s.Length)
                {
                    text.Append(c);
                    continue;
                }

                var e = s[_i++];
                switch (e)
                {
                    case 'n': text.Append('\n'); break;
                    case 't': text.Append('\t'); break;
                    case 'r': text.Append('\r'); break;
                    case 'a': text.Append('\a'); break;
                    case 'b': text.Append('\b'); break;
                    case 'e' or 'E': text.Append('\u001b'); break;
                    case 'x' or 'u' or 'U':
                        var max = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        var hex = new string(s.Skip(_i).Take(max).TakeWhile(char.IsAsciiHexDigit).ToArray());
                        _i += hex.Length;
                        if (hex.Length > 0)
                        {
                            text.Append(char.ConvertFromUtf32(Math.Min(0x10FFFF, int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));
                        }

                        break;
                    case >= '0' and <= '7':
                        var octal = new string(s.Skip(_i - 1).Take(3).TakeWhile(d => d is >= '0' and <= '7').ToArray());
                        _i += octal.Length - 1;
                        text.Append((char)Convert.ToInt32(octal, 8));
                        break;
                    default: text.Append(e); break;
                }
            }

            if (_i >= s.Length)
            {
                Opaque ??= "an unterminated quote";
            }

            _i++;
            return text.ToString();
        }

        /// <summary>After a newline: the bodies of the here-documents the line opened.</summary>
        private void ReadHeredocs()
        {
            foreach (var (owner, index, delimiter, strip, quoted) in _heredocs)
            {
                var body = new StringBuilder();
                var closed = false;
                while (_i < s.Length)
                {
                    var end = s.IndexOf('\n', _i);
                    var line = end < 0 ? s[_i..] : s[_i..end];
                    _i = end < 0 ? s.Length : end + 1;
                    if ((strip ? line.TrimStart('\t') : line).TrimEnd('\r') == delimiter)
                    {
                        closed = true;
                        break;
                    }

                    body.Append(line).Append('\n');
                }

                if (!closed)
                {
                    Opaque ??= "an unterminated here-document";
                }

                var text = body.ToString();
                if (!quoted && (text.Contains("$(", StringComparison.Ordinal) || text.Contains('`', StringComparison.Ordinal)))
                {
                    HasSubstitution = true;
                    Opaque ??= "a command substitution inside a here-document";
                }

                if (owner is not null)
                {
                    Commands[index] = new SimpleCommand(owner.Words, owner.Redirections, owner.Tokens, owner.Piped, (owner.Stdin ?? string.Empty) + text, owner.StdinDynamic || (!quoted && text.Contains('$', StringComparison.Ordinal)), owner.InSubstitution);
                }
            }

            _heredocs.Clear();
        }
    }
}
