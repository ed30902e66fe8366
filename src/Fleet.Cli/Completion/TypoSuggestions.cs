using System.CommandLine;
using Fleet.Validation;

namespace Fleet.Cli.Completion;

/// <summary>What a person probably meant by a word the parser did not know: a subcommand or an option of the command they typed.</summary>
public static class TypoSuggestions
{
    /// <summary>The spelling <paramref name="typed"/> most likely misses among <paramref name="command"/>'s words, or null.</summary>
    public static string? For(Command command, IEnumerable<Option> inherited, string typed)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(typed);
        if (typed.StartsWith('-'))
        {
            var names = command.Options.Concat(inherited).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
            return DidYouMean.Suggest(typed, names);
        }

        return DidYouMean.Suggest(typed, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
    }
}
