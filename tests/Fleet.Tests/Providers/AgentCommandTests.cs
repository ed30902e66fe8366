using System.Diagnostics;
using Fleet.Providers;
using Fleet.Spec;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;

namespace Fleet.Tests.Providers;

/// <summary>Every provider's argv for a set of worker settings, pinned; and every flag fleet uses exists in the pinned CLI.</summary>
public class AgentCommandTests
{
    private static readonly InvocationContext First = new("/f", 1, "/f", "Do the work.", "/f/iterations/1/w.prompt.md", "You are worker w.", "0b9f0c8e-1111-4222-8333-444455556666", false, "/f/iterations/1/w.last-message.md");

    private static readonly InvocationContext Second = First with { Iteration = 2, Resume = true, PromptFile = "/f/iterations/2/w.prompt.md", LastMessageFile = "/f/iterations/2/w.last-message.md" };

    public static TheoryData<string, ResolvedWorker> Workers() => new()
    {
        { "claude-defaults", Worker(Provider.Claude) },
        { "claude-full", Worker(Provider.Claude) with { Model = "opus", FallbackModel = "sonnet", ReasoningEffort = ReasoningEffort.XHigh, MaxBudgetPerIter = 1.5m, PermissionMode = PermissionMode.Plan } },
        { "claude-bypass", Worker(Provider.Claude) with { PermissionMode = PermissionMode.BypassPermissions } },
        { "codex-defaults", Worker(Provider.Codex) },
        { "codex-full", Worker(Provider.Codex) with { Model = "gpt-5-codex", ReasoningEffort = ReasoningEffort.Minimal } },
        { "gemini-defaults", Worker(Provider.Gemini) },
        { "gemini-full", Worker(Provider.Gemini) with { Model = "gemini-2.5-pro", PermissionMode = PermissionMode.BypassPermissions } },
        { "gemini-plan", Worker(Provider.Gemini) with { PermissionMode = PermissionMode.Plan } },
        { "command", Worker(Provider.Command) with { Command = ["run-tests", "--iteration={iteration}", "{prompt_file}", "{root}/{worker}", "{unknown}"] } },
    };

    [Theory]
    [MemberData(nameof(Workers))]
    public void The_argv_for_each_setting_is_pinned(string name, ResolvedWorker worker)
    {
        var text = $"iteration 1:\n{string.Join('\n', AgentCommand.Build(worker, First))}\n\niteration 2:\n{string.Join('\n', AgentCommand.Build(worker, Second))}\n";

        Golden.Match(text, $"argv-{name}.txt");
    }

    [Theory]
    [InlineData("codex-exec-defaults", null, null)]
    [InlineData("codex-exec-full", "gpt-5-codex", ReasoningEffort.Minimal)]
    public void Where_codex_has_no_app_server_the_exec_argv_is_pinned(string name, string? model, ReasoningEffort? effort)
    {
        var worker = Worker(Provider.Codex) with { Model = model, ReasoningEffort = effort };
        var exec = First with { CodexAppServer = false };
        var text = $"iteration 1:\n{string.Join('\n', AgentCommand.Build(worker, exec))}\n\niteration 2:\n{string.Join('\n', AgentCommand.Build(worker, exec with { Iteration = 2, Resume = true, LastMessageFile = "/f/iterations/2/w.last-message.md" }))}\n";

        Golden.Match(text, $"argv-{name}.txt");
    }

    [Fact]
    public void Claude_never_gets_dangerously_skip_permissions()
    {
        foreach (var mode in Enum.GetValues<PermissionMode>())
        {
            AgentCommand.Build(Worker(Provider.Claude) with { PermissionMode = mode }, First).ShouldNotContain("--dangerously-skip-permissions");
        }
    }

    [Fact]
    public void Claude_gets_the_fleets_deny_and_destructive_rules_as_ask_settings_and_no_settings_without_them()
    {
        var gates = new FleetGates(["Bash(npm test)"], ["Bash(curl:*)"], ["Bash(rm -rf:*)", "Bash(curl:*)"]);
        var argv = AgentCommand.Build(Worker(Provider.Claude), First with { AskRules = AgentCommand.AskRules(gates) }).ToList();

        argv[argv.IndexOf("--settings") + 1].ShouldBe("""{"permissions":{"ask":["Bash(curl:*)","Bash(rm -rf:*)"]}}""");
        argv.IndexOf("--settings").ShouldBeLessThan(argv.IndexOf("--append-system-prompt"));
        AgentCommand.Build(Worker(Provider.Claude), First with { AskRules = AgentCommand.AskRules(FleetGates.None) }).ShouldNotContain("--settings");
    }

    [Fact]
    public async Task Every_claude_flag_fleet_uses_exists_in_the_pinned_claude_help()
    {
        var help = await HelpAsync("claude", "--help");
        var worker = Worker(Provider.Claude) with { Model = "opus", FallbackModel = "sonnet", ReasoningEffort = ReasoningEffort.High, MaxBudgetPerIter = 1m };

        // Hidden from --help but in the pinned binary ("--permission-prompt-tool <tool>"); Gates/GatedClaudeWorkerTests run
        // the real claude with it, so a release that drops it fails there.
        string[] hidden = ["--permission-prompt-tool"];
        foreach (var flag in Flags(AgentCommand.Build(worker, First with { AskRules = ["Bash(rm -rf:*)"] })).Concat(Flags(AgentCommand.Build(worker, Second))).Except(hidden))
        {
            help.ShouldContain(flag, customMessage: $"claude --help does not list {flag}");
        }
    }

    [Fact]
    public async Task Every_permission_mode_fleet_passes_is_a_choice_the_pinned_claude_lists()
    {
        var help = await HelpAsync("claude", "--help");
        var start = help.IndexOf("--permission-mode", StringComparison.Ordinal);
        var choices = help[start..help.IndexOf(')', start)];

        foreach (var mode in Enum.GetValues<PermissionMode>())
        {
            choices.ShouldContain($"\"{mode.Name()}\"", customMessage: $"claude --help does not offer --permission-mode {mode.Name()}");
        }
    }

    [Fact]
    public async Task Every_codex_app_server_flag_fleet_uses_exists_in_the_pinned_codex_app_server_help()
    {
        var help = await HelpAsync("codex", "app-server", "--help");
        var worker = Worker(Provider.Codex) with { Model = "gpt-5-codex", ReasoningEffort = ReasoningEffort.High };

        var argv = AgentCommand.Build(worker, Second);
        argv.Take(2).ShouldBe(["codex", "app-server"]);
        foreach (var flag in Flags(argv))
        {
            help.ShouldContain(flag, customMessage: $"codex app-server --help does not list {flag}");
        }
    }

    [Fact]
    public async Task Every_codex_flag_fleet_uses_exists_in_the_pinned_codex_exec_help()
    {
        var help = await HelpAsync("codex", "exec", "--help");
        var resumeHelp = await HelpAsync("codex", "exec", "resume", "--help");
        var worker = Worker(Provider.Codex) with { Model = "gpt-5-codex", ReasoningEffort = ReasoningEffort.High };

        foreach (var flag in Flags(AgentCommand.Build(worker, First with { CodexAppServer = false })))
        {
            help.ShouldContain(flag, customMessage: $"codex exec --help does not list {flag}");
        }

        help.ShouldContain("resume");
        resumeHelp.ShouldContain("[SESSION_ID]");
    }

    [Fact]
    public async Task Every_gemini_flag_fleet_uses_exists_in_the_pinned_gemini_help()
    {
        var help = await HelpAsync("gemini", "--help");
        var worker = Worker(Provider.Gemini) with { Model = "gemini-2.5-pro" };

        foreach (var flag in Flags(AgentCommand.Build(worker, First)).Concat(Flags(AgentCommand.Build(worker, Second))))
        {
            help.ShouldContain(flag, customMessage: $"gemini --help does not list {flag}");
        }
    }

    [Fact]
    public async Task Every_approval_mode_fleet_passes_is_a_choice_the_pinned_gemini_lists()
    {
        var help = await HelpAsync("gemini", "--help");
        var start = help.IndexOf("--approval-mode", StringComparison.Ordinal);
        var choices = help[start..help.IndexOf(']', help.IndexOf("[choices:", start, StringComparison.Ordinal))];

        foreach (var mode in Enum.GetValues<PermissionMode>())
        {
            choices.ShouldContain($"\"{GeminiGates.ApprovalMode(mode)}\"", customMessage: $"gemini --help does not offer --approval-mode {GeminiGates.ApprovalMode(mode)}");
        }
    }

    internal static IEnumerable<string> Flags(IReadOnlyList<string> argv) =>
        argv.Where(a => a.StartsWith('-') && a.Length > 1).Select(a => a.Length == 2 ? $"{a}, " : a).Distinct();

    internal static async Task<string> HelpAsync(string cli, params string[] args)
    {
        var exe = AgentCli.RequireOrSkip(cli);
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        // Gemini CLI is a node bundle that relaunches itself: its --help alone takes seconds on a loaded machine.
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).SlowTimeout();
        return await stdout.DefaultTimeout() + await stderr.DefaultTimeout();
    }

    private static ResolvedWorker Worker(Provider provider) =>
        new("w", WorkerType.CodeRun, provider, null, null, null, null, PermissionMode.AcceptEdits, "t", [], []);
}
