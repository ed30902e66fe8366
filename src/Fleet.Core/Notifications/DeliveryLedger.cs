using System.Text;
using System.Text.Json;
using Fleet.Paths;
using Fleet.State;

namespace Fleet.Notifications;

/// <summary>
/// <c>.fleet/notifications.jsonl</c>: one line per (event, channel) delivered, appended once the channel accepted it.
/// Private to the user, each line one write on a file opened for append and forced to disk, so lines of concurrent
/// channels never interleave and a crash leaves at most a torn last line (skipped by the reader).
/// </summary>
public sealed class DeliveryLedger(string path)
{
    private readonly Lock _gate = new();

    public string Path { get; } = path;

    public static DeliveryLedger For(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new DeliveryLedger(System.IO.Path.Combine(layout.StateDir, "notifications.jsonl"));
    }

    /// <summary>Every line that parses, in order.</summary>
    public IReadOnlyList<LedgerLine> Read()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        var lines = new List<LedgerLine>();
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } text)
        {
            try
            {
                if (text.Length > 0 && JsonSerializer.Deserialize(text, NotificationJsonContext.Default.LedgerLine) is { Id: not null, Channel: not null } line)
                {
                    lines.Add(line);
                }
            }
            catch (JsonException)
            {
                // A line cut short by a crash: that delivery is not on record and happens again.
            }
        }

        return lines;
    }

    /// <summary>The (event id, channel) pairs already delivered.</summary>
    public HashSet<(string Id, string Channel)> Delivered() =>
        [.. Read().Where(l => l.Status == LedgerStatus.Delivered).Select(l => (l.Id, l.Channel))];

    public void Append(LedgerLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(line, NotificationJsonContext.Default.LedgerLine) + "\n");
        lock (_gate)
        {
            PrivateFiles.CreateDirectoryFor(Path);
            var torn = Journal.EndsTorn(Path);
            using var file = PrivateFiles.Open(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            // After a torn line, start on a line of our own so this one stays readable.
            file.Write(torn ? [(byte)'\n', .. bytes] : bytes);
            file.Flush(flushToDisk: true);
        }
    }
}

/// <summary>The statuses of <see cref="LedgerLine.Status"/>.</summary>
public static class LedgerStatus
{
    public const string Delivered = "delivered";

    /// <summary>The orchestrator stopped while the event was still being retried; the next orchestrator of the root tries again.</summary>
    public const string Undelivered = "undelivered";
}
