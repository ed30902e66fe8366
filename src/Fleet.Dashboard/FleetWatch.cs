using Fleet.State;

namespace Fleet.Dashboard;

/// <summary>
/// File-system watchers on every registered fleet root (its journal, exit, claim, gate and stream files, the pause flag)
/// and on the registry itself, so a fleet launched while the dashboard runs is watched too. Changes go to <see cref="LiveEvents"/>.
/// </summary>
public sealed class FleetWatch : IDisposable
{
    private readonly LiveEvents _events;
    private readonly FleetRegistry _registry;
    private readonly Dictionary<string, RootWatchers> _roots = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly FileSystemWatcher? _registryWatcher;
    private bool _disposed;

    public FleetWatch(FleetRegistry registry, LiveEvents events)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _events = events;
        // Created when missing, so the first fleet launched while the dashboard runs shows up at once.
        Fleet.Paths.PrivateFiles.CreateDirectory(registry.Dir);
        _registryWatcher = Watch(registry.Dir, recursive: false, (_, _) =>
        {
            Refresh();
            _events.Changed(string.Empty, "registry", null);
        });

        Refresh();
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

    /// <summary>Watches the registered roots not watched yet and lets go of those no longer registered.</summary>
    public void Refresh()
    {
        var registered = _registry.List().Select(e => e.Root).Where(Directory.Exists).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
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
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var watchers in _roots.Values)
            {
                watchers.Dispose();
            }

            _roots.Clear();
        }

        _registryWatcher?.Dispose();
    }

    private void OnChange(string root, string path)
    {
        if (Classify(root, path) is { } change)
        {
            _events.Changed(root, change.Kind, change.Worker);
        }
    }

    private static FileSystemWatcher Watch(string dir, bool recursive, FileSystemEventHandler handler)
    {
        var watcher = new FileSystemWatcher(dir)
        {
            IncludeSubdirectories = recursive,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Changed += handler;
        watcher.Created += handler;
        watcher.Deleted += handler;
        watcher.Renamed += (s, e) => handler(s, e);
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    /// <summary>The root itself (the pause flag, the iterations folder appearing), <c>.fleet</c> and <c>iterations</c> (recursively).</summary>
    private sealed class RootWatchers(string root, FleetWatch owner) : IDisposable
    {
        private FileSystemWatcher? _root;
        private FileSystemWatcher? _state;
        private FileSystemWatcher? _iterations;

        public void Complete()
        {
            try
            {
                _root ??= Watch(root, recursive: false, (_, e) =>
                {
                    if (e.Name is "iterations" or ".fleet")
                    {
                        Complete();
                    }

                    owner.OnChange(root, e.FullPath);
                });
                var state = Path.Combine(root, ".fleet");
                if (_state is null && Directory.Exists(state))
                {
                    _state = Watch(state, recursive: false, (_, e) => owner.OnChange(root, e.FullPath));
                }

                var iterations = Path.Combine(root, "iterations");
                if (_iterations is null && Directory.Exists(iterations))
                {
                    _iterations = Watch(iterations, recursive: true, (_, e) => owner.OnChange(root, e.FullPath));
                }
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // The root went away meanwhile, or inotify's limit is reached: the page still reads it on every load.
            }
        }

        public void Dispose()
        {
            _root?.Dispose();
            _state?.Dispose();
            _iterations?.Dispose();
        }
    }
}
