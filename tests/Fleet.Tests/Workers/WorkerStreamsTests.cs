using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

public sealed class WorkerStreamsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Malformed_and_truncated_stream_lines_are_counted_and_the_outcome_is_still_recorded()
    {
        var stream = _dir.Write("stream.jsonl", string.Join('\n',
            """{"type":"system","subtype":"init","session_id":"11111111-2222-4333-8444-555555555555","model":"claude-sonnet-4-5"}""",
            "this is not json",
            """{"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"hi"}]""",
            """{"type":"brand_new_event","x":1}""",
            """{"type":"result","subtype":"success","is_error":false,"num_turns":1,"total_cost_usd":0.25,"session_id":"11111111-2222-4333-8444-555555555555","result":"ok"}""",
            """{"type":"result","subtype":"succ""") + "\n");
        var spec = new WorkerLaunchSpec
        {
            Worker = "w",
            Iteration = 1,
            IterationDir = _dir.Combine("iterations", "1"),
            Argv = FakeAgent.Argv("emit", stream),
            StreamFormat = WorkerStreamFormats.Claude,
        };
        using var view = new StringWriter();

        var record = await WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, view), TestContext.Current.CancellationToken).DefaultTimeout();

        record.MalformedLines.ShouldBe(3);
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        record.SessionId.ShouldBe("11111111-2222-4333-8444-555555555555");
        record.CostUsd.ShouldBe(0.25m);
        File.ReadAllText(_dir.Combine("iterations", "1", "w.log")).ShouldBe(File.ReadAllText(stream));
        view.ToString().ShouldContain("✓ done in 1 turn");
    }

    [Fact]
    public async Task A_plain_command_workers_view_shows_its_own_lines()
    {
        var spec = new WorkerLaunchSpec
        {
            Worker = "w",
            Iteration = 1,
            IterationDir = _dir.Combine("iterations", "1"),
            Argv = FakeAgent.Argv("echo", "tests ok"),
        };
        using var view = new StringWriter();

        var record = await WorkerShim.RunAsync(spec, WorkerStreams.OptionsFor(spec, view), TestContext.Current.CancellationToken).DefaultTimeout();

        record.Outcome.ShouldBe(WorkerOutcome.Succeeded);
        view.ToString().ShouldContain("tests ok");
    }
}
