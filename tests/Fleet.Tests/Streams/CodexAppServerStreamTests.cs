using System.Text;
using Fleet.Streams;
using Fleet.Workers;

namespace Fleet.Tests.Streams;

/// <summary>
/// The codex stream reader on <c>codex app-server</c>'s stdout (as a worker's log keeps it). The lines are the real
/// 0.171.0 app-server's, shortened to the fields fleet reads.
/// </summary>
public class CodexAppServerStreamTests
{
    private const string Thread = "01a2501f-75da-7740-8b81-5963956897ab";

    private static readonly string[] Run =
    [
        """{"id":1,"result":{"userAgent":"fleet/0.171.0","codexHome":"/tmp/h","platformFamily":"unix","platformOs":"linux"}}""",
        """{"id":2,"result":{"thread":{"id":"01a2501f-75da-7740-8b81-5963956897ab","preview":""}}}""",
        """{"method":"thread/started","params":{"thread":{"id":"01a2501f-75da-7740-8b81-5963956897ab","preview":""}}}""",
        """{"method":"turn/started","params":{"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turn":{"id":"t1","items":[],"status":"inProgress","error":null}}}""",
        """{"method":"item/started","params":{"item":{"type":"commandExecution","id":"c1","command":"/bin/bash -lc 'rm -rf build'","status":"inProgress","aggregatedOutput":null,"exitCode":null},"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turnId":"t1"}}""",
        """{"method":"item/commandExecution/requestApproval","id":0,"params":{"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turnId":"t1","itemId":"c1","command":"/bin/bash -lc 'rm -rf build'"}}""",
        """{"method":"item/completed","params":{"item":{"type":"commandExecution","id":"c1","command":"/bin/bash -lc 'rm -rf build'","status":"declined","aggregatedOutput":null,"exitCode":null},"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turnId":"t1"}}""",
        """{"method":"thread/tokenUsage/updated","params":{"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turnId":"t1","tokenUsage":{"total":{"totalTokens":1100,"inputTokens":1000,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":100,"reasoningOutputTokens":0},"last":{"totalTokens":1100,"inputTokens":1000,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":100,"reasoningOutputTokens":0}}}}""",
        """{"method":"item/completed","params":{"item":{"type":"agentMessage","id":"m1","text":"All done."},"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turnId":"t1"}}""",
        """{"method":"thread/tokenUsage/updated","params":{"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turnId":"t1","tokenUsage":{"total":{"totalTokens":5330,"inputTokens":5000,"cachedInputTokens":4000,"cacheWriteInputTokens":0,"outputTokens":330,"reasoningOutputTokens":0},"last":{"totalTokens":2030,"inputTokens":2000,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":30,"reasoningOutputTokens":0}}}}""",
        """{"method":"turn/completed","params":{"threadId":"01a2501f-75da-7740-8b81-5963956897ab","turn":{"id":"t1","items":[],"status":"completed","error":null}}}""",
    ];

    private static CodexStreamReader Feed(IEnumerable<string> lines, CodexBaseline? baseline = null)
    {
        var reader = new CodexStreamReader("gpt-5-codex", baseline: baseline);
        foreach (var line in lines)
        {
            reader.Read(Encoding.UTF8.GetBytes(line));
        }

        return reader;
    }

    [Fact]
    public void An_app_server_run_gives_its_thread_its_last_cumulative_usage_and_its_cost()
    {
        var reader = Feed(Run);
        reader.Complete(0);
        var s = reader.Summary;

        s.SessionId.ShouldBe(Thread);
        s.IsError.ShouldBeFalse(s.ErrorText);
        s.ResultKind.ShouldBe("completed");
        s.Turns.ShouldBe(1);
        s.CumulativeUsage.ShouldBe(new CodexUsage(5000, 4000, 0, 330, 0));
        (s.InputTokens, s.CachedInputTokens, s.OutputTokens).ShouldBe((1000L, 4000L, 330L));
        s.CostUsd.ShouldBe((1000 * 1.25m + 4000 * 0.125m + 330 * 10.00m) / 1_000_000);
        s.MalformedLines.ShouldBe(0);
    }

    [Fact]
    public void A_resumed_thread_costs_only_what_it_added_to_the_baseline()
    {
        var reader = Feed(Run, new CodexBaseline(Thread, new CodexUsage(1000, 0, 0, 100, 0)));
        reader.Complete(0);

        var s = reader.Summary;
        (s.InputTokens, s.CachedInputTokens, s.OutputTokens).ShouldBe((0L, 4000L, 230L));
    }

    [Fact]
    public void A_resumed_thread_is_named_by_the_answer_to_thread_resume_which_sends_no_thread_started()
    {
        var reader = Feed([Run[0], Run[1], Run[3], Run[^2], Run[^1]]);
        reader.Complete(0);

        reader.Summary.SessionId.ShouldBe(Thread);
        reader.Summary.IsError.ShouldBeFalse(reader.Summary.ErrorText);
    }

    [Fact]
    public void A_failed_turn_fails_the_run_with_its_message_and_an_interrupted_one_does_not()
    {
        var failed = Feed([Run[2], Run[3], """{"method":"turn/completed","params":{"threadId":"x","turn":{"id":"t1","items":[],"status":"failed","error":{"message":"{\"error\":{\"message\":\"rehearsal: codex prompt rejected\"}}"}}}}"""]);
        failed.Complete(0);
        failed.Summary.IsError.ShouldBeTrue();
        failed.Summary.ErrorText.ShouldBe("rehearsal: codex prompt rejected");

        var interrupted = Feed([Run[2], Run[3], """{"method":"turn/completed","params":{"threadId":"x","turn":{"id":"t1","items":[],"status":"interrupted","error":null}}}""", Run[3], Run[^1]]);
        interrupted.Complete(0);
        interrupted.Summary.IsError.ShouldBeFalse(interrupted.Summary.ErrorText);
        interrupted.Summary.Turns.ShouldBe(2);
    }

    [Fact]
    public void App_server_items_read_as_exec_items_do()
    {
        var events = new List<AgentEvent>();
        CodexStreamParser.TryParse(Encoding.UTF8.GetBytes(Run[6]), events).ShouldBeTrue();
        var command = events.OfType<ItemEvent>().Single().Item.ShouldBeOfType<CommandExecutionItem>();
        (command.Command, command.Status, command.ExitCode).ShouldBe(("/bin/bash -lc 'rm -rf build'", "declined", (int?)null));

        events.Clear();
        CodexStreamParser.TryParse(Encoding.UTF8.GetBytes("""{"method":"item/completed","params":{"item":{"type":"fileChange","id":"p1","changes":[{"path":"notes.md","kind":{"type":"add"},"diff":"+hi"}],"status":"completed"},"threadId":"x","turnId":"t1"}}"""), events).ShouldBeTrue();
        var patch = events.OfType<ItemEvent>().Single().Item.ShouldBeOfType<FileChangeItem>();
        patch.Changes.ShouldBe([new FileChange("notes.md", "add")]);
    }

    [Theory]
    [InlineData("/bin/bash -lc 'rm -rf build && echo removed'", "rm -rf build && echo removed")]
    [InlineData("bash -c 'npm test'", "npm test")]
    [InlineData("/usr/bin/zsh -lc \"printf '%s' 'hi' > notes.md\"", "printf '%s' 'hi' > notes.md")]
    [InlineData("npm test", "npm test")]
    [InlineData("bash script.sh", "bash script.sh")]
    [InlineData("bash -lc 'a' && rm -rf x", "bash -lc 'a' && rm -rf x")]
    public void Codex_s_own_shell_wrapper_is_taken_off_before_the_rules_judge_the_command(string command, string judged) =>
        CodexCommands.Unwrap(command).ShouldBe(judged);
}
