using System.Text;

namespace Fleet.Gates.Policy;

/// <summary>
/// Just enough shell to judge a Bash command: its simple commands (split at <c>&amp;&amp;</c>, <c>||</c>, <c>;</c>,
/// <c>|</c>, <c>&amp;</c> and newlines outside quotes) and their words. Not a shell parser: when in doubt it reports
/// <see cref="HasSubstitution"/>, and the policy then lets no wildcard rule allow the command.
/// </summary>
public sealed class ShellCommand
{
    private ShellCommand(IReadOnlyList<IReadOnlyList<string>> parts, IReadOnlyList<string> texts, bool hasSubstitution)
    {
        Parts = parts;
        Texts = texts;
        HasSubstitution = hasSubstitution;
    }

    /// <summary>Each simple command as words (quotes removed), leading <c>NAME=value</c> assignments and <c>sudo</c> dropped.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Parts { get; }

    /// <summary>Each simple command as text (its words joined by one space): what rules match.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary><c>$(…)</c>, backticks, <c>&lt;(…)</c> or <c>&gt;(…)</c>: commands inside commands.</summary>
    public bool HasSubstitution { get; }

    public static ShellCommand Parse(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parts = new List<IReadOnlyList<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var substitution = false;
        char? quote = null;

        void EndWord()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }

        void EndPart()
        {
            EndWord();
            var start = 0;
            while (start < words.Count && (IsAssignment(words[start]) || words[start] is "sudo" or "command" or "exec" or "time" or "nohup"))
            {
                start++;
            }

            if (start < words.Count)
            {
                parts.Add(words.Skip(start).ToList());
            }

            words.Clear();
        }

        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            var next = i + 1 < command.Length ? command[i + 1] : '\0';
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c == '\\' && i + 1 < command.Length)
            {
                word.Append(next);
                inWord = true;
                i++;
                continue;
            }

            if (c == '`' || (c == '$' && next == '('))
            {
                substitution = true;
            }

            if (quote == '"')
            {
                if (c == '"')
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    inWord = true;
                    break;
                case ' ' or '\t':
                    EndWord();
                    break;
                case '\n' or ';':
                    EndPart();
                    break;
                case '&' or '|':
                    EndPart();
                    if (next == c)
                    {
                        i++;
                    }

                    break;
                case '<' or '>' when next == '(':
                    substitution = true;
                    word.Append(c);
                    inWord = true;
                    break;
                case '(' or ')' or '{' or '}' when !inWord:
                    EndPart();
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        EndPart();
        return new ShellCommand(parts, parts.Select(p => string.Join(' ', p)).ToList(), substitution);
    }

    private static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && word[..equals].All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(word[0]);
    }
}
