using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Fleet.Streams;

namespace Fleet.Telemetry.Readers;

/// <summary>How far one pass over a file got.</summary>
/// <param name="Offset">Byte offset after the last line consumed (a cut-off last line is not consumed).</param>
/// <param name="Line">The number of the last line consumed.</param>
/// <param name="LinesRead">Lines looked at in this pass.</param>
/// <param name="Malformed">Lines that were not JSON objects (this pass).</param>
/// <param name="TruncatedTail">True when the file ends in a line without its newline that is not valid JSON (yet).</param>
internal sealed record FileProgress(long Offset, long Line, long LinesRead, long Malformed, bool TruncatedTail);

/// <summary>
/// Streams a transcript file's lines from a byte offset to a reader, never holding more than the longest
/// line in memory, and hands the records to the store in batches. JSON documents (a <c>.chat.json</c> array,
/// a pretty-printed single event) are read whole and fed element by element.
/// </summary>
internal static class TranscriptFile
{
    public const int FlushEvery = 4096;
    private const int InitialBuffer = 256 * 1024;

    /// <summary>True when the file is one JSON document rather than JSONL: it starts with '[' or is a pretty-printed '.json'.</summary>
    public static bool IsDocument(string path, ReadOnlySpan<byte> head)
    {
        var trimmed = head.TrimStart(" \t\r\n\uFEFF"u8);
        if (trimmed.IsEmpty)
            return false;
        if (trimmed[0] == (byte)'[')
            return true;
        if (trimmed[0] != (byte)'{' || !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return false;
        var newline = trimmed.IndexOf((byte)'\n');
        if (newline < 0)
            return false;
        var kind = JsonLine.TryParse(trimmed[..newline], out var doc);
        doc?.Dispose();
        return kind != JsonLine.Kind.Object;
    }

    public static async Task<byte[]> HeadAsync(string path, int length, CancellationToken cancellationToken)
    {
        await using var stream = Open(path);
        var buffer = new byte[length];
        var n = await stream.ReadAtLeastAsync(buffer, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return buffer[..n];
    }

    /// <summary>The format of a JSONL file's first telling lines (at most 200 lines or 4 MB looked at, read in growing steps).</summary>
    public static async Task<TranscriptFormat> SniffLinesAsync(string path, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;
        for (var size = 16 * 1024; ; size *= 8)
        {
            var head = await HeadAsync(path, (int)Math.Min(size, length), cancellationToken).ConfigureAwait(false);
            var format = SniffLines(head);
            if (format != TranscriptFormat.Unknown || size >= length || size >= 4 * 1024 * 1024)
                return format;
        }
    }

    public static TranscriptFormat SniffLines(ReadOnlySpan<byte> head)
    {
        for (var i = 0; i < 200 && !head.IsEmpty; i++)
        {
            var newline = head.IndexOf((byte)'\n');
            var line = newline < 0 ? head : head[..newline];
            head = newline < 0 ? [] : head[(newline + 1)..];
            if (JsonLine.TryParse(line, out var doc) != JsonLine.Kind.Object)
                continue;
            using (doc)
            {
                var format = TranscriptReader.Sniff(doc!.RootElement);
                if (format != TranscriptFormat.Unknown)
                    return format;
            }
        }

        return TranscriptFormat.Unknown;
    }

    /// <summary>The format of a JSON document file (its first telling element).</summary>
    public static async Task<TranscriptFormat> SniffDocumentAsync(string path, CancellationToken cancellationToken)
    {
        using var doc = await ParseDocumentAsync(path, cancellationToken).ConfigureAwait(false);
        if (doc is null)
            return TranscriptFormat.Unknown;
        foreach (var element in Elements(doc.RootElement).Take(200))
        {
            var format = TranscriptReader.Sniff(element);
            if (format != TranscriptFormat.Unknown)
                return format;
        }

        return TranscriptFormat.Unknown;
    }

    /// <summary>Feeds a JSON document's elements (from the first) to <paramref name="reader"/>.</summary>
    public static async Task<FileProgress> FeedDocumentAsync(string path, TranscriptReader reader, RecordSink sink, Func<RecordBatch, ValueTask> flush, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;
        using var doc = await ParseDocumentAsync(path, cancellationToken).ConfigureAwait(false);
        if (doc is null)
            return new FileProgress(0, 0, 1, 1, TruncatedTail: true);
        long line = 0, malformed = 0;
        foreach (var element in Elements(doc.RootElement))
        {
            line++;
            if (element.ValueKind != JsonValueKind.Object)
            {
                malformed++;
                continue;
            }

            reader.Read(element, line);
            if (sink.Count >= FlushEvery)
                await flush(sink.Flush()).ConfigureAwait(false);
        }

        return new FileProgress(length, line, line, malformed, TruncatedTail: false);
    }

    /// <summary>Feeds the lines after <paramref name="offset"/> to <paramref name="reader"/>.</summary>
    public static async Task<FileProgress> FeedLinesAsync(string path, long offset, long line, TranscriptReader reader, RecordSink sink, Func<RecordBatch, ValueTask> flush, CancellationToken cancellationToken)
    {
        await using var stream = Open(path);
        stream.Position = offset;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        var state = new LineState { Offset = offset, Line = line };
        try
        {
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                // A plain read on the parse worker's own thread: an asynchronous file read on Unix is that same read
                // handed to another pool thread, and its completion handed back, for every 256 KB.
                cancellationToken.ThrowIfCancellationRequested();
                var n = stream.Read(buffer, filled, buffer.Length - filled);
                if (n == 0)
                    break;
                filled += n;
                var consumed = ProcessLines(buffer, filled, reader, ref state);
                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }

                if (sink.Count >= FlushEvery)
                    await flush(sink.Flush()).ConfigureAwait(false);
            }

            var truncated = filled > 0 && !ProcessTail(buffer.AsMemory(0, filled), reader, ref state);
            return new FileProgress(state.Offset, state.Line, state.LinesRead, state.Malformed, truncated);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static FileStream Open(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);

    private static async Task<JsonDocument?> ParseDocumentAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = Open(path);
        try
        {
            return await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { MaxDepth = MaxDepth }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement[] Elements(JsonElement root) =>
        root.ValueKind == JsonValueKind.Array ? [.. root.EnumerateArray()] : [root];

    private struct LineState
    {
        public long Offset;
        public long Line;
        public long LinesRead;
        public long Malformed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ProcessLines(byte[] buffer, int filled, TranscriptReader reader, ref LineState state)
    {
        var consumed = 0;
        while (true)
        {
            var newline = buffer.AsSpan(consumed, filled - consumed).IndexOf((byte)'\n');
            if (newline < 0)
                return consumed;
            Feed(buffer.AsMemory(consumed, newline), reader, ref state);
            consumed += newline + 1;
            state.Offset += newline + 1;
        }
    }

    /// <summary>A last line without its newline: consumed when it is complete JSON, else left for the next pass.</summary>
    private static bool ProcessTail(ReadOnlyMemory<byte> tail, TranscriptReader reader, ref LineState state)
    {
        var kind = Parse(tail, out var doc);
        doc?.Dispose();
        if (kind == JsonLine.Kind.Malformed)
            return false;
        Feed(tail, reader, ref state);
        state.Offset += tail.Length;
        return true;
    }

    /// <summary>
    /// <see cref="JsonLine.TryParse"/> over memory the caller owns: <c>JsonDocument.Parse(ReadOnlyMemory)</c> reads the
    /// line once and in place, about 2.5 times faster than parsing from a reader (which scans, copies, then parses).
    /// </summary>
    internal static JsonLine.Kind Parse(ReadOnlyMemory<byte> line, out JsonDocument? document)
    {
        document = null;
        var kind = Check(ref line);
        return kind == JsonLine.Kind.Object ? ParseObject(line, out document) : kind;
    }

    /// <summary><see cref="Parse"/> after <see cref="Check"/>.</summary>
    private static JsonLine.Kind ParseObject(ReadOnlyMemory<byte> line, out JsonDocument? document)
    {
        document = null;
        try
        {
            var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = MaxDepth });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                return JsonLine.Kind.Malformed;
            }

            document = doc;
            return JsonLine.Kind.Object;
        }
        catch (JsonException)
        {
            return JsonLine.Kind.Malformed;
        }
    }

    /// <summary>The nesting a line may have (the same for documents and for readers' own scans).</summary>
    internal const int MaxDepth = 256;

    /// <summary>
    /// What can be told before any JSON is read: blank, not UTF-8 (the JSON reader does not validate UTF-8
    /// inside strings until they are decoded), or worth parsing (<see cref="JsonLine.Kind.Object"/>, not yet proven).
    /// Removes a leading BOM.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static JsonLine.Kind Check(ref ReadOnlyMemory<byte> line)
    {
        if (line.Span.StartsWith("\uFEFF"u8))
            line = line[3..];
        var span = line.Span;
        if (IsBlank(span))
            return JsonLine.Kind.Blank;
        return System.Text.Unicode.Utf8.IsValid(span) ? JsonLine.Kind.Object : JsonLine.Kind.Malformed;
    }

    // A line almost always starts with '{': only then is it searched (Trim's search for four values is a generic
    // vector search that is not precompiled, and per line it cost more than the check itself).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsBlank(ReadOnlySpan<byte> span) =>
        span.IsEmpty || (span[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' && span.Trim(" \t\r\n"u8).IsEmpty);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Feed(ReadOnlyMemory<byte> line, TranscriptReader reader, ref LineState state)
    {
        state.Line++;
        state.LinesRead++;
        if (reader.CanSkip(line.Span))
            return;
        var kind = Check(ref line);
        if (kind == JsonLine.Kind.Object)
        {
            // The reader's own scan first: the common big lines need a few fields, not a document.
            switch (reader.Scan(line.Span, state.Line))
            {
                case LineScan.Done:
                    return;
                case LineScan.Malformed:
                    state.Malformed++;
                    return;
            }

            kind = ParseObject(line, out var doc);
            if (kind == JsonLine.Kind.Object)
            {
                using (doc)
                    reader.Read(doc!.RootElement, state.Line);
                return;
            }
        }

        if (kind == JsonLine.Kind.Malformed)
            state.Malformed++;
    }
}
