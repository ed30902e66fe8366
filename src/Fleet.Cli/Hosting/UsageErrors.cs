using System.CommandLine;
using System.CommandLine.Parsing;
using Fleet.Cli.Completion;

namespace Fleet.Cli.Hosting;

/// <summary>What is wrong with a command line, in the words a person reads: the parser's errors with a guess at the word meant.</summary>
public static class UsageErrors
{
    public static IReadOnlyList<string> Of(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var command = parseResult.CommandResult.Command;
        var inherited = new List<Option>();
        for (var parent = parseResult.CommandResult.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            inherited.AddRange(parent.Command.Options.Where(o => o.Recursive));
        }

        var messages = new List<string>();
        var unknownOptions = new List<string>();

        // The parser takes an unknown --option for an argument when the command has one: named here, it never
        // becomes a ROOT or a message. Words after "--" are arguments, whatever they look like.
        foreach (var token in parseResult.Tokens.TakeWhile(t => t.Type != TokenType.DoubleDash))
        {
            if (token.Type == TokenType.Argument && token.Value.Length > 2 && token.Value.StartsWith("--", StringComparison.Ordinal) && char.IsLetter(token.Value[2]))
            {
                unknownOptions.Add(token.Value);
                messages.Add(WithGuess($"unknown option '{token.Value}' for '{CommandLine(parseResult)}'.", TypoSuggestions.For(command, inherited, token.Value)));
            }
        }

        var errors = parseResult.Errors.Where(e => !unknownOptions.Any(o => e.Message.Contains($"'{o}'", StringComparison.Ordinal))).ToList();

        // "Required command was not provided" only repeats what a more precise error already says.
        if (errors.Count + messages.Count > 1)
        {
            errors.RemoveAll(e => e.Message.StartsWith("Required command", StringComparison.Ordinal));
        }

        foreach (var error in errors)
        {
            var meant = parseResult.UnmatchedTokens
                .Where(token => error.Message.Contains($"'{token}'", StringComparison.Ordinal))
                .Select(token => TypoSuggestions.For(command, inherited, token))
                .FirstOrDefault(s => s is not null);
            messages.Add(WithGuess(error.Message, meant));
        }

        return messages;
    }

    private static string WithGuess(string message, string? meant) => meant is null ? message : $"{message} Did you mean '{meant}'?";

    /// <summary>"fleet team plan": the command the person typed, for "Run '… --help'".</summary>
    public static string CommandLine(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var names = new List<string>();
        for (var r = parseResult.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return string.Join(' ', names.Prepend("fleet"));
    }
}
