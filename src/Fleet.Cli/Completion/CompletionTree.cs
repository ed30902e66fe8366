using System.CommandLine;
using System.CommandLine.Completions;

namespace Fleet.Cli.Completion;

/// <summary>
/// One command as a shell completes it: the words after <c>fleet</c>, then the words that may follow it (its
/// subcommands, or the fixed values of its arguments) and its options.
/// </summary>
public sealed record CompletionNode(string Path, IReadOnlyList<CompletionWord> Words, IReadOnlyList<CompletionOption> Options);

/// <summary>A subcommand or an argument value, with the line of help a shell that shows descriptions can show.</summary>
public sealed record CompletionWord(string Name, string Description);

/// <summary>An option: its spellings, whether a value follows it, and the values it accepts when they are fixed.</summary>
public sealed record CompletionOption(IReadOnlyList<string> Names, bool TakesValue, IReadOnlyList<string> Choices, string Description);

/// <summary>Reads the command tree the parser uses, so completion can never offer what the parser refuses.</summary>
public static class CompletionTree
{
    public static IReadOnlyList<CompletionNode> From(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var nodes = new List<CompletionNode>();
        Walk(root, string.Empty, [], nodes);
        return nodes;
    }

    private static void Walk(Command command, string path, IReadOnlyList<Option> inherited, List<CompletionNode> nodes)
    {
        var visible = command.Subcommands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var options = command.Options.Concat(inherited).Where(o => !o.Hidden).DistinctBy(o => o.Name).ToList();
        nodes.Add(new CompletionNode(
            path,
            [.. visible.Select(c => new CompletionWord(c.Name, FirstSentence(c.Description))), .. ArgumentValues(command)],
            [.. options.Select(Describe)]));
        var passedDown = inherited.Concat(command.Options.Where(o => o.Recursive)).ToList();
        foreach (var sub in visible)
        {
            Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}", passedDown, nodes);
        }
    }

    /// <summary>The values an argument accepts when they are fixed (<c>fleet completion SHELL</c>).</summary>
    private static IEnumerable<CompletionWord> ArgumentValues(Command command) =>
        command.Arguments.Where(a => !a.Hidden && a.ValueType != typeof(bool))
            .SelectMany(a => a.GetCompletions(CompletionContext.Empty).Select(c => new CompletionWord(c.Label, FirstSentence(a.Description))));

    private static CompletionOption Describe(Option option)
    {
        var takesValue = option.Arity.MaximumNumberOfValues > 0 && option.ValueType != typeof(bool);
        var choices = takesValue ? option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList() : [];
        var names = new[] { option.Name }.Concat(option.Aliases).Where(n => n.StartsWith('-') && !n.Contains('?', StringComparison.Ordinal)).Distinct().ToList();
        return new CompletionOption(names, takesValue, choices, FirstSentence(option.Description));
    }

    /// <summary>The help text up to its first full stop: a completion menu has one line per word.</summary>
    private static string FirstSentence(string? description)
    {
        var text = (description ?? string.Empty).ReplaceLineEndings(" ");
        var stop = text.IndexOf(". ", StringComparison.Ordinal);
        return (stop > 0 ? text[..stop] : text).TrimEnd('.');
    }
}
