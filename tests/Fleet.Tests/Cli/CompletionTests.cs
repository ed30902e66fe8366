using System.Diagnostics;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>The scripts `fleet completion` writes, run in the real shells: what each offers for a line typed so far.</summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string[], string[]> Lines => new()
    {
        // the line typed so far (the last word is completed), words that must be offered, words that must not
        { "fleet la", ["launch"], ["ls", "status"] },
        { "fleet ", ["launch", "status", "team", "completion", "usage"], ["worker", "orchestrate"] },
        { "fleet team ", ["plan", "run", "merge"], ["launch"] },
        { "fleet team plan --", ["--repo", "--json", "--help"], ["--dry-run"] },
        { "fleet launch --dr", ["--dry-run"], ["--json"] },
        { "fleet init . --type ", ["dag", "iterative", "worktree"], ["launch"] },
        { "fleet init . --provider co", ["codex", "command"], ["claude"] },
        { "fleet completion ", ["bash", "zsh", "fish"], [] },
        { "fleet telemetry ", ["gates", "ingest", "schema"], [] },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task Bash_completes_commands_subcommands_options_and_their_values(string line, string[] offered, string[] notOffered)
    {
        var script = await ScriptAsync("bash");
        var words = line.Split(' ');
        var program = $$"""
            source {{Q(script)}}
            COMP_WORDS=({{string.Join(' ', words.Select(Q))}})
            COMP_CWORD={{words.Length - 1}}
            _fleet
            printf '%s\n' "${COMPREPLY[@]}"
            """;

        var completions = await RunShellAsync("bash", ["--norc", "--noprofile", "-c", program]);

        foreach (var word in offered.Where(w => w.StartsWith(words[^1], StringComparison.Ordinal)))
        {
            completions.ShouldContain(word);
        }

        completions.Intersect(notOffered).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task Zsh_completes_the_same_words_as_bash(string line, string[] offered, string[] notOffered)
    {
        var script = await ScriptAsync("zsh");
        var words = line.Split(' ');

        // compadd, _describe and _files are zsh's completion system; stand-ins print what they are given.
        var program = $$"""
            compadd() { [[ "$1" == "--" ]] && shift; printf '%s\n' "$@" }
            _describe() { local -a items; items=("${(@P)2}"); printf '%s\n' "${items[@]%%:*}" }
            _files() { print -- '<files>' }
            source {{Q(script)}}
            words=({{string.Join(' ', words.Select(Q))}})
            CURRENT={{words.Length}}
            _fleet
            """;

        var completions = (await RunShellAsync("zsh", ["-f", "-c", program])).Where(w => w.StartsWith(words[^1], StringComparison.Ordinal) || w == "<files>").ToList();

        foreach (var word in offered.Where(w => w.StartsWith(words[^1], StringComparison.Ordinal)))
        {
            completions.ShouldContain(word);
        }

        completions.Intersect(notOffered).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task Fish_completes_the_same_words_as_bash(string line, string[] offered, string[] notOffered)
    {
        var script = await ScriptAsync("fish");
        var program = $"source {Q(script)}; complete -C {Q(line)}";

        var completions = (await RunShellAsync("fish", ["--no-config", "-c", program])).Select(l => l.Split('\t')[0]).ToList();

        foreach (var word in offered.Where(w => w.StartsWith(line.Split(' ')[^1], StringComparison.Ordinal)))
        {
            completions.ShouldContain(word);
        }

        completions.Intersect(notOffered).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("bash")]
    [InlineData("zsh")]
    public async Task A_command_that_takes_a_folder_falls_back_to_the_shells_file_completion(string shell)
    {
        var script = await ScriptAsync(shell);
        var program = shell == "bash"
            ? $"source {Q(script)}; COMP_WORDS=(fleet status ''); COMP_CWORD=2; _fleet; echo \"n=${{#COMPREPLY[@]}}\""
            : $"_files() {{ print -- '<files>' }}; compadd() {{ print -- \"$@\" }}; source {Q(script)}; words=(fleet status ''); CURRENT=3; _fleet";

        var output = await RunShellAsync(shell, shell == "bash" ? ["--norc", "--noprofile", "-c", program] : ["-f", "-c", program]);

        // bash: an empty reply lets `complete -o default` complete file names; zsh: the script asks for _files.
        output.ShouldBe([shell == "bash" ? "n=0" : "<files>"]);
    }

    [Fact]
    public async Task An_unknown_shell_is_a_usage_error_naming_the_choices()
    {
        var (code, console) = await TestConsole.RunAsync(_dir.Path, "completion", "powershell");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("powershell");
        console.Stderr.ShouldContain("bash");
        console.Stdout.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(new[] { "lauch" }, "fleet: Unrecognized command or argument 'lauch'. Did you mean 'launch'?")]
    [InlineData(new[] { "team", "paln" }, "fleet: Unrecognized command or argument 'paln'. Did you mean 'plan'?")]
    [InlineData(new[] { "launch", "--dryrun", "." }, "fleet: unknown option '--dryrun' for 'fleet launch'. Did you mean '--dry-run'?")]
    [InlineData(new[] { "team", "plan", "--jsn" }, "fleet: unknown option '--jsn' for 'fleet team plan'. Did you mean '--json'?")]
    [InlineData(new[] { "status", ".", "--zzzzzz" }, "fleet: unknown option '--zzzzzz' for 'fleet status'.")]
    public async Task A_mistyped_command_or_option_is_a_usage_error_with_the_word_meant(string[] args, string firstLine)
    {
        var (code, console) = await TestConsole.RunAsync(_dir.Path, args);

        code.ShouldBe(2);
        console.Stderr.Split('\n')[0].ShouldBe(firstLine);
        console.Stderr.ShouldContain($"Run '{(args[0] == "team" ? "fleet team" + (args[1] == "plan" ? " plan" : string.Empty) : args[0] == "lauch" ? "fleet" : "fleet " + args[0])} --help' for usage.");
        Directory.EnumerateFileSystemEntries(_dir.Path).ShouldBeEmpty();
    }

    [Fact]
    public async Task Words_after_a_double_dash_are_arguments_even_when_they_look_like_options()
    {
        var (code, console) = await TestConsole.RunAsync(_dir.Path, "say", "nowhere", "w", "--", "--now");

        code.ShouldBe(2);
        console.Stderr.ShouldNotContain("unknown option");
        console.Stderr.ShouldContain("nowhere");
    }

    private async Task<string> ScriptAsync(string shell)
    {
        var (code, console) = await TestConsole.RunAsync(_dir.Path, "completion", shell);
        code.ShouldBe(0, console.Stderr);
        var path = Path.Combine(_dir.Path, $"fleet.{shell}");
        await File.WriteAllTextAsync(path, console.Stdout, TestContext.Current.CancellationToken);
        return path;
    }

    private async Task<List<string>> RunShellAsync(string shell, string[] args)
    {
        var start = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = _dir.Path;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        (await stderr.DefaultTimeout()).ShouldBeEmpty();
        process.ExitCode.ShouldBe(0);
        return [.. (await stdout.DefaultTimeout()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static string Q(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
