using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fleet.Streams;

/// <summary>
/// Gemini CLI's own record of a session (<c>&lt;home&gt;/.gemini/tmp/&lt;project&gt;/chats/session-&lt;date&gt;-&lt;id8&gt;.jsonl</c>,
/// 0.61.0): a metadata line naming the session, then its messages. Each model message carries its exact tokens
/// (<c>input</c> with <c>cached</c> inside it, <c>output</c>, <c>thoughts</c>), which ACP's per-prompt totals do not
/// split, so a gemini worker under ACP is priced from here.
/// </summary>
public static class GeminiSessionFile
{
    /// <summary>Where gemini keeps its folder: <c>GEMINI_CLI_HOME</c>, else <c>HOME</c>, as the agent's environment says.</summary>
    public static string? HomeOf(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment("GEMINI_CLI_HOME") is { Length: > 0 } configured ? configured : environment("HOME") is { Length: > 0 } home ? home : null;
    }

    /// <summary>
    /// The session file of <paramref name="sessionId"/> under <paramref name="home"/>: the one fleet kept apart
    /// (<see cref="KeepApart"/>) if there is one, else gemini's own; null when there is none.
    /// </summary>
    public static string? Find(string home, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(home);
        ArgumentNullException.ThrowIfNull(sessionId);
        var tmp = Path.Combine(home, ".gemini", "tmp");
        if (sessionId.Length < 8 || !Directory.Exists(tmp))
        {
            return null;
        }

        try
        {
            foreach (var chats in Directory.EnumerateDirectories(tmp).Select(p => Path.Combine(p, "chats")).Where(Directory.Exists))
            {
                var kept = Directory.EnumerateFiles(chats, $"session-*-{sessionId[..8]}{KeptSuffix}");
                foreach (var file in kept.Concat(Directory.EnumerateFiles(chats, $"session-*-{sessionId[..8]}.jsonl")))
                {
                    if (SessionOf(File.ReadLines(file).FirstOrDefault()) == sessionId)
                    {
                        return file;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>
    /// Gives the session file a name gemini never makes itself (<c>session-&lt;minute&gt;-&lt;id8&gt;.fleet.jsonl</c>) and returns
    /// its path. Loading a session (ACP <c>session/load</c>), gemini 0.61.0 first starts a new file for it named
    /// <c>session-&lt;minute&gt;-&lt;id8&gt;.jsonl</c> that stays empty: in the same minute as the session's own file that is the
    /// same file (a fresh start appended, after which the session no longer loads), and at the next start of gemini in the
    /// project its cleanup deletes every file whose name ends in that empty file's <c>-&lt;id8&gt;</c>, the session's own
    /// included. Under the new name gemini still finds the session (by the id in its first line) and keeps writing
    /// there, and neither happens. Already renamed, or not renamable: as it is.
    /// </summary>
    public static string KeepApart(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.EndsWith(KeptSuffix, StringComparison.Ordinal) || !file.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            return file;
        }

        var kept = file[..^".jsonl".Length] + KeptSuffix;
        try
        {
            File.Move(file, kept, overwrite: false);
            return kept;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return file;
        }
    }

    private const string KeptSuffix = ".fleet.jsonl";

    /// <summary>
    /// The tokens per model of the model messages written at or after <paramref name="since"/> (a run's own calls: a
    /// loaded session's earlier messages are older), each message once though gemini writes it again when its tool calls
    /// end. Thoughts are billed as output.
    /// </summary>
    public static Dictionary<string, GeminiUsage> UsageSince(IEnumerable<string> lines, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var usage = new Dictionary<string, GeminiUsage>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var kind = JsonLine.TryParse(Encoding.UTF8.GetBytes(line), out var doc);
            if (kind != JsonLine.Kind.Object)
            {
                continue;
            }

            using (doc)
            {
                var root = doc!.RootElement;
                if (root.Str("type") != "gemini" || root.Str("id") is not { } id || root.Prop("tokens") is not { } tokens
                    || !DateTimeOffset.TryParse(root.Str("timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    || at < since || !seen.Add(id))
                {
                    continue;
                }

                var model = root.Str("model") ?? "gemini";
                var tokensUsed = Usage(tokens);
                usage[model] = usage.TryGetValue(model, out var before) ? before.Add(tokensUsed) : tokensUsed;
            }
        }

        return usage;
    }

    /// <summary>One model message's <c>tokens</c>: thoughts billed as output.</summary>
    public static GeminiUsage Usage(JsonElement tokens) =>
        new(tokens.Long("input") ?? 0, tokens.Long("cached") ?? 0, (tokens.Long("output") ?? 0) + (tokens.Long("thoughts") ?? 0));

    private static string? SessionOf(string? firstLine)
    {
        if (firstLine is null || JsonLine.TryParse(Encoding.UTF8.GetBytes(firstLine), out var doc) != JsonLine.Kind.Object)
        {
            return null;
        }

        using (doc)
        {
            return doc!.RootElement.Str("sessionId");
        }
    }
}
