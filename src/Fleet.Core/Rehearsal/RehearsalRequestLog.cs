using System.Text;
using Fleet.Paths;
using Fleet.State;

namespace Fleet.Rehearsal;

/// <summary>
/// A rehearsed run's request log (<see cref="FleetLayout.RehearsalRequestsFile"/>): every model call its endpoints
/// answered, appended by each endpoint and read back by the next one after an orchestrator restart.
/// </summary>
public static class RehearsalRequestLog
{
    /// <summary>Appends one JSON line per request; a line that cannot be written never stops the endpoint.</summary>
    public static Action<RehearsalLogEntry> Appender(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var path = layout.RehearsalRequestsFile;
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
        var gate = new Lock();
        return entry =>
        {
            lock (gate)
            {
                try
                {
                    using var file = PrivateFiles.Open(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                    file.Write(Encoding.UTF8.GetBytes(entry.ToJsonLine() + "\n"));
                }
                catch (IOException)
                {
                    // A log line lost never stops the endpoint.
                }
            }
        };
    }

    /// <summary>The entries written so far in this run; lines that cannot be read (a torn last line) are skipped.</summary>
    public static async Task<IReadOnlyList<RehearsalLogEntry>> ReadAsync(FleetLayout layout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!File.Exists(layout.RehearsalRequestsFile))
        {
            return [];
        }

        var lines = await File.ReadAllLinesAsync(layout.RehearsalRequestsFile, cancellationToken);
        return [.. lines.Select(RehearsalLogEntry.TryParse).OfType<RehearsalLogEntry>()];
    }
}
