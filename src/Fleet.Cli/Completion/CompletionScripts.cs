using System.Text;

namespace Fleet.Cli.Completion;

/// <summary>
/// Completion scripts for bash, zsh and fish, written from the command tree. All three decide the same way: the
/// command is the longest run of known command words typed so far; after an option with fixed values, those values;
/// a word starting with <c>-</c>, the command's options; else its subcommands; else the shell's own file completion
/// (ROOT, FILE and folder arguments).
/// </summary>
public static class CompletionScripts
{
    public static IReadOnlyList<string> Shells { get; } = ["bash", "zsh", "fish"];

    public static string For(string shell, IReadOnlyList<CompletionNode> nodes) => shell switch
    {
        "bash" => Bash(nodes),
        "zsh" => Zsh(nodes),
        "fish" => Fish(nodes),
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "expected bash, zsh or fish"),
    };

    public static string Bash(IReadOnlyList<CompletionNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var s = new StringBuilder();
        s.Append("""
            # bash completion for fleet. Load it in this shell: source <(fleet completion bash)
            # or for every shell: fleet completion bash > ~/.local/share/bash-completion/completions/fleet
            _fleet() {
                local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i
                (( COMP_CWORD > 1 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
                for (( i = 1; i < COMP_CWORD; i++ )); do
                    word="${COMP_WORDS[i]}"
                    case "${path:+$path }$word" in
                        
            """);
        s.Append(string.Join('|', nodes.Where(n => n.Path.Length > 0).Select(n => Quote(n.Path))));
        s.Append("""
            ) path="${path:+$path }$word" ;;
                    esac
                done
                case "$path:$prev" in

            """);
        foreach (var (node, option) in ValueOptions(nodes))
        {
            var pattern = string.Join('|', option.Names.Select(n => Quote($"{node.Path}:{n}")));
            var action = option.Choices.Count > 0 ? $"COMPREPLY=($(compgen -W {Quote(string.Join(' ', option.Choices))} -- \"$cur\")); return" : "return";
            s.Append(CultureInvariant($"        {pattern}) {action} ;;\n"));
        }

        s.Append("""
                esac
                local commands="" options=""
                case "$path" in

            """);
        foreach (var node in nodes)
        {
            s.Append(CultureInvariant($"        {Quote(node.Path)}) commands={Quote(string.Join(' ', node.Words.Select(c => c.Name)))}; options={Quote(string.Join(' ', node.Options.SelectMany(o => o.Names)))} ;;\n"));
        }

        s.Append("""
                esac
                if [[ "$cur" == -* ]]; then
                    COMPREPLY=($(compgen -W "$options" -- "$cur"))
                elif [[ -n "$commands" ]]; then
                    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
                fi
            }
            complete -o default -F _fleet fleet

            """);
        return s.ToString();
    }

    public static string Zsh(IReadOnlyList<CompletionNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var s = new StringBuilder();
        s.Append("""
            #compdef fleet
            # zsh completion for fleet. Load it in this shell (after compinit): source <(fleet completion zsh)
            # or for every shell: fleet completion zsh > "${fpath[1]}/_fleet"
            _fleet() {
                local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}" path="" word i
                local -a commands options
                for (( i = 2; i < CURRENT; i++ )); do
                    word="${words[i]}"
                    case "${path:+$path }$word" in
                        (
            """);
        s.Append(string.Join('|', nodes.Where(n => n.Path.Length > 0).Select(n => Quote(n.Path))));
        s.Append("""
            ) path="${path:+$path }$word" ;;
                    esac
                done
                case "$path:$prev" in

            """);
        foreach (var (node, option) in ValueOptions(nodes))
        {
            var pattern = string.Join('|', option.Names.Select(n => Quote($"{node.Path}:{n}")));
            var action = option.Choices.Count > 0 ? $"compadd -- {string.Join(' ', option.Choices.Select(Quote))}; return" : "_files; return";
            s.Append(CultureInvariant($"        ({pattern}) {action} ;;\n"));
        }

        s.Append("""
                esac
                case "$path" in

            """);
        foreach (var node in nodes)
        {
            var commands = string.Join(' ', node.Words.Select(c => Quote($"{c.Name.Replace(":", "\\:", StringComparison.Ordinal)}:{c.Description}")));
            var options = string.Join(' ', node.Options.SelectMany(o => o.Names).Select(Quote));
            s.Append(CultureInvariant($"        ({Quote(node.Path)}) commands=({commands}); options=({options}) ;;\n"));
        }

        s.Append("""
                esac
                if [[ "$cur" == -* ]]; then
                    compadd -- "${options[@]}"
                elif (( ${#commands} )); then
                    _describe 'command' commands
                else
                    _files
                fi
            }
            if (( $+functions[compdef] )); then compdef _fleet fleet; fi

            """);
        return s.ToString();
    }

    public static string Fish(IReadOnlyList<CompletionNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var s = new StringBuilder();
        s.Append("""
            # fish completion for fleet. Load it in this shell: fleet completion fish | source
            # or for every shell: fleet completion fish > ~/.config/fish/completions/fleet.fish
            set -g __fleet_commands 
            """);
        s.Append(string.Join(' ', nodes.Where(n => n.Path.Length > 0).Select(n => Quote(n.Path))));
        s.Append("""

            function __fleet_path --description 'the fleet command typed so far'
                set -l path ''
                for word in (commandline -opc)[2..-1]
                    set -l candidate (string trim -- "$path $word")
                    if contains -- $candidate $__fleet_commands
                        set path $candidate
                    end
                end
                echo $path
            end
            complete -c fleet -e

            """);
        foreach (var node in nodes)
        {
            var when = Quote($"test (__fleet_path) = {Quote(node.Path)}");
            foreach (var sub in node.Words)
            {
                s.Append(CultureInvariant($"complete -c fleet -n {when} -f -a {Quote(sub.Name)} -d {Quote(sub.Description)}\n"));
            }

            foreach (var option in node.Options)
            {
                var spellings = string.Join(' ', option.Names.Select(n => n.StartsWith("--", StringComparison.Ordinal) ? $"-l {n[2..]}" : n.Length == 2 ? $"-s {n[1..]}" : $"-o {n[1..]}"));
                var value = option.Choices.Count > 0 ? $" -x -a {Quote(string.Join(' ', option.Choices))}" : option.TakesValue ? " -r" : string.Empty;
                s.Append(CultureInvariant($"complete -c fleet -n {when} {spellings}{value} -d {Quote(option.Description)}\n"));
            }
        }

        return s.ToString();
    }

    private static IEnumerable<(CompletionNode Node, CompletionOption Option)> ValueOptions(IReadOnlyList<CompletionNode> nodes) =>
        nodes.SelectMany(n => n.Options.Where(o => o.TakesValue).Select(o => (n, o)));

    /// <summary>A single-quoted word for sh, zsh and fish alike: an embedded quote is closed, escaped and reopened.</summary>
    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
