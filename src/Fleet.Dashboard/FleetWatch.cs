using Fleet.State;

namespace Fleet.Dashboard;

/// <summary>
/// File-system watchers on every registered fleet root (its journal, exit, claim, gate and stream files, the pause flag)
/// and on the registry itself, so a fleet launched while the dashboard runs is watched too. Changes go to <see cref="LiveEvents"/>.
/// Where the system refuses a watcher (inotify's instances are few and shared by all of a user's processes), the
/// root is compared with its last look every <see cref="PollInterval"/> instead, and watching is tried again.
/// </summary>
public sealed class FleetWatch : IDisposable
{
    /// <summary>How often a root or registry without its watchers is looked at again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly LiveEvents _events;
    private readonly FleetRegistry _registry;
    private readonly StartWatcher _start;
    private readonly Dictionary<string, RootWatchers> _roots = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ITimer _poll;
    private FileSystemWatcher? _registryWatcher;
    private HashSet<string> _registered = new(StringComparer.Ordinal);
    private int _polling;
    private bool _disposed;

    /// <summary>Starts a watcher on a folder, or null when the system refuses one.</summary>
    internal delegate FileSystemWatcher? StartWatcher(string dir, bool recursive, FileSystemEventHandler handler);

    public FleetWatch(FleetRegistry registry, LiveEvents events, TimeProvider time)
        : this(registry, events, time, StartDefault)
    {
    }

    internal FleetWatch(FleetRegistry registry, LiveEvents events, TimeProvider time, StartWatcher start)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(time);
        _registry = registry;
        _events = events;
        _start = start;
        // Created when missing, so the first fleet launched while the dashboard runs shows up at once.
        Fleet.Paths.PrivateFiles.CreateDirectory(registry.Dir);
        _registryWatcher = _start(registry.Dir, recursive: false, OnRegistryChange);
        Refresh();
        _poll = time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
    }

    /// <summary>What a changed path under a fleet root means, or null for a file no page shows.</summary>
    public static (string Kind, string? Worker)? Classify(string root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
        var name = Path.GetFileName(relative);
        if (relative == ".fleet/journal.jsonl")
        {
            return ("journal", null);
        }

        if (relative == ".paused")
        {
            return ("pause", null);
        }

        if (!relative.StartsWith("iterations/", StringComparison.Ordinal) || name.StartsWith('.'))
        {
            return null;
        }

        if (relative.Contains("/gates/", StringComparison.Ordinal))
        {
            // <worker>-<iteration>-<seq>.request.json: the worker is the page's business only through the gate list.
            return name.EndsWith(".json", StringComparison.Ordinal) ? ("gate", null) : null;
        }

        foreach (var (suffix, kind) in Suffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && name.Length > suffix.Length)
            {
                return (kind, name[..^suffix.Length]);
            }
        }

        return name == "review.md" ? ("review", null) : null;
    }

    private static readonly (string Suffix, string Kind)[] Suffixes =
    [
        (".exit.json", "exit"), (".run.json", "claim"), (".stderr.log", "stream"), (".shim.log", "view"), (".log", "stream"), (".gates.jsonl", "gate"),
    ];

    /// <summary>Watches the registered roots not watched yet and lets go of those no longer registered; true when the set changed.</summary>
    public bool Refresh()
    {
        var registered = _registry.List().Select(e => e.Root).Where(Directory.Exists).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            foreach (var gone in _roots.Keys.Where(r => !registered.Contains(r)).ToList())
            {
                _roots[gone].Dispose();
                _roots.Remove(gone);
            }

            foreach (var root in registered)
            {
                if (!_roots.TryGetValue(root, out var watchers))
                {
                    watchers = new RootWatchers(root, this);
                    _roots[root] = watchers;
                }

                watchers.Complete();
            }

            var changed = !registered.SetEquals(_registered);
            _registered = registered;
            return changed;
        }
    }

    public void Dispose()
    {
        _poll.Dispose();
        lock (_gate)
        {
            _disposed = true;
            foreach (var watchers in _roots.Values)
            {
                watchers.Dispose();
            }

            _roots.Clear();
            _registryWatcher?.Dispose();
        }
    }

    private void OnRegistryChange(object? sender, FileSystemEventArgs e)
    {
        Refresh();
        _events.Changed(string.Empty, "registry", null);
    }

    /// <summary>Tries the refused watchers again and compares the roots still without them with their last look.</summary>
    private void Poll()
    {
        // A slow look (a large fleet on a busy disk) is not started again over itself.
        if (Interlocked.Exchange(ref _polling, 1) != 0)
        {
            return;
        }

        try
        {
            List<RootWatchers> roots;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _registryWatcher ??= _start(_registry.Dir, recursive: false, OnRegistryChange);
                roots = [.. _roots.Values];
            }

            if (Refresh())
            {
                _events.Changed(string.Empty, "registry", null);
            }

            foreach (var root in roots)
            {
                root.Poll();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A root or the registry went away during the look: the next look sees what is left.
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    private void OnChange(string root, string path)
    {
        if (Classify(root, path) is { } change)
        {
            _events.Changed(root, change.Kind, change.Worker);
        }
    }

    private static FileSystemWatcher? StartDefault(string dir, bool recursive, FileSystemEventHandler handler) =>
        Fleet.Paths.FileWatchers.TryStart(dir, "*", recursive, NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size, handler, bufferSize: 64 * 1024);

    /// <summary>The root itself (the pause flag, the iterations folder appearing), <c>.fleet</c> and <c>iterations</c> (recursively).</summary>
    private sealed class RootWatchers(string root, FleetWatch owner) : IDisposable
    {
        private readonly Lock _lock = new();
        private FileSystemWatcher? _root;
        private FileSystemWatcher? _state;
        private FileSystemWatcher? _iterations;
        private Dictionary<string, (long Length, long Written)>? _lastLook;
        private bool _disposed;

        private string StateDir => Path.Combine(root, ".fleet");

        private string IterationsDir => Path.Combine(root, "iterations");

        public void Complete()
        {
            lock (_lock)
            {
                if (_disposed || !Directory.Exists(root))
                {
                    return;
                }

                _root ??= owner._start(root, recursive: false, (_, e) =>
                {
                    if (e.Name is "iterations" or ".fleet")
                    {
                        Complete();
                    }

                    owner.OnChange(root, e.FullPath);
                });
                if (_state is null && Directory.Exists(StateDir))
                {
                    _state = owner._start(StateDir, recursive: false, (_, e) => owner.OnChange(root, e.FullPath));
                }

                if (_iterations is null && Directory.Exists(IterationsDir))
                {
                    _iterations = owner._start(IterationsDir, recursive: true, (_, e) => owner.OnChange(root, e.FullPath));
                }
            }
        }

        /// <summary>Watched in full: nothing to look at. Else every file that is new, changed or gone since the last look is a change.</summary>
        public void Poll()
        {
            Complete();
            Dictionary<string, (long, long)>? earlier;
            lock (_lock)
            {
                if (_disposed || (_root is not null && (_state is not null || !Directory.Exists(StateDir)) && (_iterations is not null || !Directory.Exists(IterationsDir))))
                {
                    _lastLook = null;
                    return;
                }

                earlier = _lastLook;
            }

            var now = Look();
            lock (_lock)
            {
                _lastLook = now;
            }

            if (earlier is null)
            {
                // The first look has nothing to compare with: whatever changed before it, the page fetches itself once.
                owner.OnChange(root, Path.Combine(StateDir, "journal.jsonl"));
                return;
            }

            foreach (var (path, stamp) in now)
            {
                if (!earlier.TryGetValue(path, out var before) || before != stamp)
                {
                    owner.OnChange(root, path);
                }
            }

            foreach (var path in earlier.Keys.Where(p => !now.ContainsKey(p)))
            {
                owner.OnChange(root, path);
            }
        }

        private Dictionary<string, (long, long)> Look()
        {
            var files = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
            void Add(FileInfo file) => files[file.FullName] = (file.Length, file.LastWriteTimeUtc.Ticks);
            var paused = new FileInfo(Path.Combine(root, ".paused"));
            if (paused.Exists)
            {
                Add(paused);
            }

            foreach (var (dir, recurse) in new[] { (StateDir, false), (IterationsDir, true) })
            {
                if (Directory.Exists(dir))
                {
                    foreach (var file in new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = recurse, IgnoreInaccessible = true }))
                    {
                        Add(file);
                    }
                }
            }

            return files;
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _disposed = true;
                _root?.Dispose();
                _state?.Dispose();
                _iterations?.Dispose();
            }
        }
    }
}
