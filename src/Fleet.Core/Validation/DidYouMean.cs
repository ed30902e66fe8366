namespace Fleet.Validation;

/// <summary>Suggests the intended word for a typo: a key, an enum value, a worker id.</summary>
public static class DidYouMean
{
    public static string? Suggest(string typed, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(typed);
        string? best = null;
        var bestDistance = int.MaxValue;
        var normalizedTyped = Normalize(typed);
        foreach (var candidate in candidates)
        {
            // maxConcurrent, max-concurrent and MAX_CONCURRENT all mean max_concurrent.
            if (Normalize(candidate) == normalizedTyped)
            {
                return candidate;
            }

            var distance = Distance(typed.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        // Short words are one edit from too many others for a guess to help.
        var allowed = typed.Length switch
        {
            <= 2 => 0,
            <= 5 => 1,
            <= 8 => 2,
            _ => 3,
        };
        return bestDistance <= allowed ? best : Abbreviated(typed, candidates);
    }

    /// <summary>
    /// The one candidate the typed word abbreviates: a prefix of it (<c>stop</c> for <c>stop_when</c>), or word by word
    /// (<c>perm_mode</c> for <c>permission_mode</c>). Two candidates that fit are a guess, not a suggestion.
    /// </summary>
    private static string? Abbreviated(string typed, IEnumerable<string> candidates)
    {
        var typedWords = Words(typed);
        if (Normalize(typed).Length < 3 || typedWords.Length == 0)
        {
            return null;
        }

        var fits = candidates.Where(c => Normalize(c).StartsWith(Normalize(typed), StringComparison.Ordinal) || FitsWordByWord(typedWords, Words(c))).Distinct().Take(2).ToList();
        return fits.Count == 1 ? fits[0] : null;
    }

    private static bool FitsWordByWord(string[] typed, string[] candidate) =>
        typed.Length == candidate.Length && typed.Zip(candidate).All(p => p.Second.StartsWith(p.First, StringComparison.Ordinal));

    /// <summary>The words of a key in any of the usual spellings: snake_case, kebab-case, camelCase.</summary>
    private static string[] Words(string s)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var c in s)
        {
            if (!char.IsLetterOrDigit(c) || (char.IsUpper(c) && current.Length > 0))
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                    current.Clear();
                }
            }

            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return [.. words];
    }

    /// <summary>"; did you mean "x"?" or nothing.</summary>
    public static string Hint(string typed, IEnumerable<string> candidates) =>
        Suggest(typed, candidates) is { } s ? $"; did you mean \"{s}\"?" : string.Empty;

    private static string Normalize(string s) => new([.. s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);

    /// <summary>Optimal string alignment distance: Levenshtein plus adjacent transpositions.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
