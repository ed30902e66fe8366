using System.Buffers;
using System.Text;
using Fleet.Processes;

namespace Fleet.Tests.Processes;

/// <summary>Collects a child's output (as bytes and text) and lets a test await a piece of text in it.</summary>
public sealed class OutputCapture
{
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _bytes = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    public OutputSink Sink => (chunk, _) =>
    {
        lock (_lock)
        {
            _bytes.Write(chunk.Span);
            var text = Encoding.UTF8.GetString(_bytes.WrittenSpan);
            foreach (var waiter in _waiters.Where(w => text.Contains(w.Text, StringComparison.Ordinal)))
            {
                waiter.Seen.TrySetResult();
            }
        }

        return ValueTask.CompletedTask;
    };

    public byte[] Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes.WrittenSpan.ToArray();
            }
        }
    }

    public string Text => Encoding.UTF8.GetString(Bytes);

    /// <summary>Completes once <paramref name="text"/> has appeared (bound it with DefaultTimeout).</summary>
    public Task WaitForAsync(string text)
    {
        lock (_lock)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Encoding.UTF8.GetString(_bytes.WrittenSpan).Contains(text, StringComparison.Ordinal))
            {
                seen.SetResult();
            }

            _waiters.Add((text, seen));
            return seen.Task;
        }
    }

    /// <summary>The integer after "<paramref name="prefix"/> " on the first line that has it.</summary>
    public int NumberAfter(string prefix)
    {
        var line = Text.Split('\n').First(l => l.StartsWith(prefix + " ", StringComparison.Ordinal));
        return int.Parse(line[(prefix.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
