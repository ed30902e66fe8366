namespace Fleet.Paths;

/// <summary>
/// Starts file-system watchers that the system may refuse: inotify gives each user a fixed number of instances
/// (128 by default), shared by every process that user runs. A caller that gets null polls instead, so a busy
/// machine makes fleet slower to notice a change, never blind to it.
/// </summary>
public static class FileWatchers
{
    /// <summary>Starts a watcher raising <paramref name="handler"/> for every created, changed, deleted or renamed entry; null when the system refuses one or the folder is gone.</summary>
    public static FileSystemWatcher? TryStart(string dir, string filter, bool recursive, NotifyFilters notify, FileSystemEventHandler handler, int bufferSize = 0)
    {
        ArgumentNullException.ThrowIfNull(handler);
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(dir, filter) { IncludeSubdirectories = recursive, NotifyFilter = notify };
            if (bufferSize > 0)
            {
                watcher.InternalBufferSize = bufferSize;
            }

            watcher.Created += handler;
            watcher.Changed += handler;
            watcher.Deleted += handler;
            watcher.Renamed += (sender, e) => handler(sender, e);
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            watcher?.Dispose();
            return null;
        }
    }
}
