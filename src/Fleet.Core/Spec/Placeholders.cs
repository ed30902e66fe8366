using System.Text;

namespace Fleet.Spec;

/// <summary>One thing in an argument that looks like a placeholder but is none of the known ones.</summary>
/// <param name="Index">Where it starts in the argument (0-based, at its <c>{</c>).</param>
public sealed record PlaceholderProblem(int Index, string Text, string Message);

/// <summary>
/// The placeholder syntax of a command worker's argv, in one place for the check and the expansion: <c>{name}</c> with
/// a name from the known set, case-sensitive; <c>{{</c> and <c>}}</c> are a literal <c>{</c> and <c>}</c>. Anything
/// else in braces that looks like a placeholder (<c>{ROOT}</c>, <c>{unknown}</c>, an unclosed <c>{iteration</c>) is
/// an error, so a typo can never reach an argv literally. Other braces (<c>{ print $1 }</c>, JSON) are text.
/// </summary>
public static class Placeholders
{
    /// <summary>Every problem in <paramref name="text"/>; <paramref name="known"/> holds names with their braces (<c>{root}</c>).</summary>
    public static IReadOnlyList<PlaceholderProblem> Problems(string text, IReadOnlyCollection<string> known)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(known);
        var problems = new List<PlaceholderProblem>();
        Scan(text, known, _ => { }, (_, _) => { }, problems.Add);
        return problems;
    }

    /// <summary><paramref name="text"/> with each known placeholder replaced by its value and <c>{{</c>/<c>}}</c> made single.</summary>
    /// <param name="values">Values by placeholder, braces included (<c>{root}</c>).</param>
    public static string Expand(string text, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(values);
        var result = new StringBuilder(text.Length);
        Scan(text, [.. values.Keys], c => result.Append(c), (name, _) => result.Append(values[name]), p => result.Append(p.Text));
        return result.ToString();
    }

    private static void Scan(string text, IReadOnlyCollection<string> known, Action<char> literal, Action<string, int> placeholder, Action<PlaceholderProblem> problem)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                literal(c);
                i += 2;
                continue;
            }

            var end = c == '{' ? NameEnd(text, i + 1) : i + 1;
            if (c != '{' || end == i + 1)
            {
                literal(c);
                i++;
                continue;
            }

            var name = text[(i + 1)..end];
            if (end < text.Length && text[end] == '}')
            {
                var candidate = text[i..(end + 1)];
                if (known.Contains(candidate))
                {
                    placeholder(candidate, i);
                }
                else
                {
                    problem(new PlaceholderProblem(i, candidate, $"unknown placeholder {candidate}{Hint(name, known)}; known: {string.Join(", ", known)} (write {{{{ and }}}} for literal braces)"));
                }

                i = end + 1;
                continue;
            }

            // "{iteration" at the end, or "{root/x": a placeholder that was never closed.
            if (end == text.Length || known.Contains($"{{{name}}}"))
            {
                var fragment = text[i..end];
                problem(new PlaceholderProblem(i, fragment, $"unclosed placeholder {fragment}: close it with }} (or write {{{{ for a literal brace)"));
                i = end;
                continue;
            }

            literal(c);
            i++;
        }
    }

    /// <summary>The end of a placeholder-like name (an ASCII letter or '_', then letters, digits, '_') starting at <paramref name="start"/>.</summary>
    private static int NameEnd(string text, int start)
    {
        if (start >= text.Length || !(char.IsAsciiLetter(text[start]) || text[start] == '_'))
        {
            return start;
        }

        var end = start;
        while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
        {
            end++;
        }

        return end;
    }

    private static string Hint(string name, IReadOnlyCollection<string> known)
    {
        var match = known.FirstOrDefault(k => string.Equals(k[1..^1], name, StringComparison.OrdinalIgnoreCase));
        return match is null ? string.Empty : $" (placeholders are lower case: did you mean {match}?)";
    }
}
