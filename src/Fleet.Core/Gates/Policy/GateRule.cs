using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Gates.Policy;

/// <summary>
/// One gate rule in Claude's permission-rule syntax: <c>Tool</c> (every use of the tool) or <c>Tool(pattern)</c>.
/// <list type="bullet">
/// <item>Bash: <c>npm test:*</c> is a prefix rule (the command is <c>npm test</c> or starts with <c>npm test </c>);
/// <c>*</c> elsewhere matches any characters (<c>git log *</c>); no wildcard means the exact command.</item>
/// <item>File tools: a path glob. <c>//abs</c> is absolute, <c>~/x</c> is under HOME, <c>/x</c> and <c>x</c> are under the
/// worker's working directory; <c>**</c> crosses folders, <c>*</c> does not; a pattern without a <c>/</c> matches the
/// file name at any depth. <c>Edit(…)</c> covers every tool that edits files, <c>Read(…)</c> every tool that reads them.</item>
/// <item>WebFetch: <c>domain:example.com</c> (the host or a subdomain).</item>
/// <item>Any other tool: a glob over the request's one-line summary.</item>
/// </list>
/// </summary>
public sealed partial record GateRule
{
    private GateRule(string text, string tool, string? content)
    {
        Text = text;
        Tool = tool;
        Content = content;
    }

    /// <summary>The rule as written.</summary>
    public string Text { get; }

    public string Tool { get; }

    /// <summary>The pattern between the parentheses; null for a bare tool rule.</summary>
    public string? Content { get; }

    /// <summary>
    /// True when the rule matches more than one exact input: a bare tool, a <c>:*</c> prefix or a <c>*</c>.
    /// A destructive operation is never allowed by a wildcard rule, only by an exact one.
    /// </summary>
    public bool IsWildcard => Content is null || Content.Contains('*', StringComparison.Ordinal);

    /// <summary>The tool names of Claude Code 2.1.332 that rules commonly name.</summary>
    public static IReadOnlyList<string> KnownTools { get; } =
    [
        "Agent", "AskUserQuestion", "Bash", "BashOutput", "Edit", "ExitPlanMode", "Glob", "Grep", "KillShell", "MultiEdit",
        "NotebookEdit", "Read", "Skill", "SlashCommand", "Task", "TodoWrite", "WebFetch", "WebSearch", "Write",
    ];

    public static GateRule Parse(string text) =>
        TryParse(text, out var rule, out var error) ? rule! : throw new FormatException(error);

    /// <summary>Parses a rule; on failure <paramref name="error"/> says what is wrong and how to write it.</summary>
    public static bool TryParse(string? text, out GateRule? rule, out string? error)
    {
        rule = null;
        error = null;
        const string How = "write Tool or Tool(pattern), e.g. Bash(npm test:*) or Edit(src/**)";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"an empty rule: {How}";
            return false;
        }

        if (text.Trim() != text)
        {
            error = $"\"{text}\" has leading or trailing spaces";
            return false;
        }

        var open = text.IndexOf('(', StringComparison.Ordinal);
        var tool = open < 0 ? text : text[..open];
        if (!ToolName().IsMatch(tool))
        {
            error = $"\"{text}\" is not a rule: {How}";
            return false;
        }

        string? content = null;
        if (open >= 0)
        {
            if (text[^1] != ')')
            {
                error = $"\"{text}\" is not a rule: the pattern must end with ')'; {How}";
                return false;
            }

            content = text[(open + 1)..^1];
            if (content.Length == 0)
            {
                error = $"\"{text}\" has an empty pattern: write {tool} for every use of the tool, or give a pattern";
                return false;
            }

            var prefix = content.IndexOf(":*", StringComparison.Ordinal);
            if (prefix >= 0 && prefix != content.Length - 2)
            {
                error = $"\"{text}\": \":*\" is a prefix wildcard and must end the pattern, as in {tool}(npm test:*)";
                return false;
            }

            if (prefix == 0)
            {
                error = $"\"{text}\": \":*\" needs a prefix before it, as in {tool}(npm test:*); write {tool} for every use of the tool";
                return false;
            }
        }

        rule = new GateRule(text, tool, content);
        return true;
    }

    /// <summary>The exact rule that allows this very request again (<c>approve --always</c>).</summary>
    public static string ExactFor(GateQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Tool == "Bash" && query.Command is { } command)
        {
            return $"Bash({command.Trim()})";
        }

        if (query.Path is { } path)
        {
            return $"{query.Tool}(/{Path.GetFullPath(path, query.WorkingDirectory)})";
        }

        if (query.Tool == "WebFetch" && query.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return $"WebFetch(domain:{uri.Host})";
        }

        return query.Tool;
    }

    /// <summary>Whether the rule names this request's tool (Edit and Read rules name their families).</summary>
    public bool AppliesTo(string tool) =>
        Tool == tool
        || (Tool == "Edit" && tool is "Write" or "MultiEdit" or "NotebookEdit")
        || (Tool == "Read" && tool is "Glob" or "Grep" or "NotebookRead")
        || (Tool.StartsWith("mcp__", StringComparison.Ordinal) && tool.StartsWith(Tool + "__", StringComparison.Ordinal));

    /// <summary>Whether the rule matches the request. For Bash this is the whole command; see <see cref="MatchesCommand"/>.</summary>
    public bool Matches(GateQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!AppliesTo(query.Tool))
        {
            return false;
        }

        if (Content is null)
        {
            return true;
        }

        if (query.Tool == "Bash")
        {
            return query.Command is { } command && MatchesCommand(command.Trim());
        }

        if (query.Path is not null || IsFileTool(query.Tool))
        {
            var path = Path.GetFullPath(query.Path ?? ".", query.WorkingDirectory);
            return PathGlob(Content, query.WorkingDirectory).IsMatch(path);
        }

        if (query.Tool == "WebFetch" && Content.StartsWith("domain:", StringComparison.Ordinal))
        {
            var domain = Content["domain:".Length..];
            return query.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri)
                && (uri.Host.Equals(domain, StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase));
        }

        return Glob(Content).IsMatch(query.Summary);
    }

    /// <summary>Matches a Bash rule's pattern against one command (or one part of a compound command).</summary>
    public bool MatchesCommand(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Content is null)
        {
            return true;
        }

        if (Content.EndsWith(":*", StringComparison.Ordinal))
        {
            var prefix = Content[..^2];
            return command == prefix || (command.StartsWith(prefix, StringComparison.Ordinal) && char.IsWhiteSpace(command[prefix.Length]));
        }

        return Content.Contains('*', StringComparison.Ordinal) ? Glob(Content).IsMatch(command) : command == Content;
    }

    public override string ToString() => Text;

    internal static bool IsFileTool(string tool) => tool is "Read" or "Write" or "Edit" or "MultiEdit" or "NotebookEdit" or "NotebookRead" or "Glob" or "Grep";

    private static Regex Glob(string pattern)
    {
        var regex = new StringBuilder("^");
        foreach (var c in pattern)
        {
            regex.Append(c == '*' ? "[\\s\\S]*" : Regex.Escape(c.ToString()));
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static Regex PathGlob(string pattern, string workingDirectory)
    {
        string absolute;
        if (pattern.StartsWith("//", StringComparison.Ordinal))
        {
            absolute = pattern[1..];
        }
        else if (pattern.StartsWith("~/", StringComparison.Ordinal))
        {
            absolute = Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), pattern[2..]);
        }
        else if (pattern.StartsWith('/'))
        {
            absolute = Path.Join(workingDirectory, pattern[1..]);
        }
        else
        {
            var relative = pattern.StartsWith("./", StringComparison.Ordinal) ? pattern[2..] : pattern;
            absolute = Path.Join(workingDirectory, relative.Contains('/', StringComparison.Ordinal) ? relative : "**/" + relative);
        }

        var regex = new StringBuilder("^");
        for (var i = 0; i < absolute.Length; i++)
        {
            var c = absolute[i];
            if (c == '*' && i + 1 < absolute.Length && absolute[i + 1] == '*')
            {
                // "**/" is any number of folders (none too); "**" at the end is everything below.
                var slash = i + 2 < absolute.Length && absolute[i + 2] == '/';
                regex.Append(slash ? "(?:[^/]*/)*" : "[\\s\\S]*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        // A folder pattern ("src/" or "src") also covers what is inside it.
        var text = regex.ToString().TrimEnd('/');
        return new Regex(text + "(?:/[\\s\\S]*)?$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolName();
}
