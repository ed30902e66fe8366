using System.CommandLine;
using Fleet.Cli.Completion;
using Fleet.Cli.Hosting;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet completion bash|zsh|fish</c>: the shell's completion script, written from the live command tree.</summary>
internal static class CompletionCommand
{
    public static Command Create(ICliConsole console, Func<RootCommand> tree)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong([.. CompletionScripts.Shells]);
        var command = new Command(
            "completion",
            "Print the shell completion script for fleet's commands and options. bash: source <(fleet completion bash); zsh: source <(fleet completion zsh); fish: fleet completion fish | source.")
        {
            shell,
        };
        command.SetAction(async (parse, _) =>
        {
            await console.Out.WriteAsync(CompletionScripts.For(parse.GetValue(shell)!, CompletionTree.From(tree())));
            return ExitCodes.Success;
        });
        return command;
    }
}
