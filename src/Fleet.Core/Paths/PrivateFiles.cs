using System.Text;

namespace Fleet.Paths;

/// <summary>
/// Files and folders that can hold agent data (prompts, tool output, gate requests, secrets) are created private to
/// their owner, whatever the umask: files 0600, folders 0700. Modes are set at creation rather than by lowering the
/// process umask, because a umask is inherited by every child (git, agents, user commands) and would change the modes
/// of the person's own repository files.
/// </summary>
public static class PrivateFiles
{
    /// <summary>0600.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0700.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Every group and other permission bit: none of them belongs on agent data.</summary>
    public const UnixFileMode SharedBits =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="path"/> (and any missing parents) 0700; an existing folder loses its group and other
    /// bits, so a root made before fleet set modes is tightened the next time fleet uses it.
    /// </summary>
    public static string CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        CreateMissing(path);
        Tighten(path);
        return path;
    }

    /// <summary>
    /// Creates <paramref name="path"/> (and any missing parents) 0700 but leaves an existing folder as it is: for a
    /// place the person chose (a <c>--db</c> in their home), whose mode is theirs.
    /// </summary>
    public static string CreateMissingDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            CreateMissing(path);
        return path;
    }

    // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; its missing parents get the umask's.
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CreateMissing(string path)
    {
        var missing = new Stack<string>();
        for (var dir = Path.GetFullPath(path); dir is not null && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
            missing.Push(dir);
        foreach (var dir in missing)
            Directory.CreateDirectory(dir, DirectoryMode);
    }

    /// <summary><see cref="CreateDirectory"/> for the folder that holds <paramref name="file"/>.</summary>
    public static void CreateDirectoryFor(string file) => CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);

    /// <summary>Removes group and other bits from an existing file or folder; false when it is missing or not ours to change.</summary>
    public static bool Tighten(string path)
    {
        if (OperatingSystem.IsWindows())
            return false;
        try
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & SharedBits) != 0)
                File.SetUnixFileMode(path, mode & ~SharedBits);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when group or others may read, write or enter <paramref name="path"/>; false when it is missing.</summary>
    public static bool IsShared(string path)
    {
        if (OperatingSystem.IsWindows() || !Path.Exists(path))
            return false;
        try
        {
            return (File.GetUnixFileMode(path) & SharedBits) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Options for a <see cref="FileStream"/> that creates its file 0600 (an existing file keeps its mode).</summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        var result = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize, Options = options };
        if (!OperatingSystem.IsWindows() && mode != System.IO.FileMode.Open && mode != System.IO.FileMode.Truncate)
            result.UnixCreateMode = FileMode;
        return result;
    }

    /// <summary>Opens (creating 0600 when missing) <paramref name="path"/>.</summary>
    public static FileStream Open(string path, System.IO.FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096, FileOptions options = FileOptions.None) =>
        new(path, Options(mode, access, share, bufferSize, options));

    /// <summary>Creates or truncates <paramref name="path"/> 0600 and writes <paramref name="text"/> (UTF-8, no BOM).</summary>
    public static void WriteAllText(string path, string text)
    {
        using var file = Open(path, System.IO.FileMode.Create, FileAccess.Write, FileShare.Read);
        file.Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Creates or truncates <paramref name="path"/> 0600 and writes <paramref name="text"/> (UTF-8, no BOM).</summary>
    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken) =>
        WriteAllBytesAsync(path, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Creates or truncates <paramref name="path"/> 0600 and writes <paramref name="bytes"/>.</summary>
    public static async Task WriteAllBytesAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        await using var file = Open(path, System.IO.FileMode.Create, FileAccess.Write, FileShare.Read, options: FileOptions.Asynchronous);
        await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces <paramref name="path"/> whole with <paramref name="bytes"/> (0600): written beside it, then renamed over
    /// it. A process that has the old file open keeps reading all of the old content, a reader never sees half a file,
    /// and no lock of a reader can make the write fail, which truncating in place would do (a shim of a killed
    /// orchestrator may still read its spec). <paramref name="flushToDisk"/> syncs the content before the rename.
    /// </summary>
    public static async Task ReplaceAsync(string path, byte[] bytes, CancellationToken cancellationToken, bool flushToDisk = false)
    {
        var temp = TempBeside(path);
        try
        {
            await using (var file = Open(temp, System.IO.FileMode.CreateNew, FileAccess.Write, FileShare.None, options: FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary><see cref="ReplaceAsync(string, byte[], CancellationToken, bool)"/> with <paramref name="text"/> as UTF-8 (no BOM).</summary>
    public static Task ReplaceAsync(string path, string text, CancellationToken cancellationToken) =>
        ReplaceAsync(path, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>The synchronous <see cref="ReplaceAsync(string, byte[], CancellationToken, bool)"/>.</summary>
    public static void Replace(string path, byte[] bytes, bool flushToDisk = false)
    {
        var temp = TempBeside(path);
        try
        {
            using (var file = Open(temp, System.IO.FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string TempBeside(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Appends <paramref name="text"/> (UTF-8) to <paramref name="path"/>, creating it 0600 when missing.</summary>
    public static async Task AppendAllTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        await using var file = Open(path, System.IO.FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, options: FileOptions.Asynchronous);
        await file.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="destination"/>, which ends up 0600 (a copy takes its source's mode).</summary>
    public static void Copy(string source, string destination)
    {
        File.Copy(source, destination, overwrite: true);
        Tighten(destination);
    }
}
