using System.Buffers;

namespace Fleet.Workers;

/// <summary>
/// Cuts a byte stream into lines across chunk boundaries and hands each line, without its <c>\n</c> (or <c>\r\n</c>),
/// to a callback. A last line without a newline is handed over by <see cref="Complete"/>.
/// </summary>
internal sealed class LineSplitter(LineSplitter.LineHandler onLine)
{
    private readonly ArrayBufferWriter<byte> _partial = new();

    public delegate void LineHandler(ReadOnlySpan<byte> line);

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        while (true)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _partial.Write(chunk);
                return;
            }

            if (_partial.WrittenCount == 0)
            {
                Emit(chunk[..newline]);
            }
            else
            {
                _partial.Write(chunk[..newline]);
                Emit(_partial.WrittenSpan);
                _partial.ResetWrittenCount();
            }

            chunk = chunk[(newline + 1)..];
        }
    }

    public void Complete()
    {
        if (_partial.WrittenCount > 0)
        {
            Emit(_partial.WrittenSpan);
            _partial.ResetWrittenCount();
        }
    }

    private void Emit(ReadOnlySpan<byte> line) =>
        onLine(line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line);
}
