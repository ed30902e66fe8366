using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Fleet.Paths;

/// <summary>What a path names, as <c>stat</c> sees it (symbolic links followed, and told apart when they lead nowhere).</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    DanglingSymlink,
    SymlinkLoop,
    Unreachable,
}

/// <summary>Which file a path named when it was looked at: a replaced file has another (device, inode).</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode);

/// <summary>A file fleet was asked to read that is not a readable regular file, or is not valid UTF-8; the message names it.</summary>
public sealed class InputFileException : IOException
{
    public InputFileException(string message, string file, int? line = null, int? column = null, string? reason = null)
        : base(message)
    {
        File = file;
        Line = line;
        Column = column;
        Reason = reason ?? message;
    }

    public InputFileException()
    {
        File = string.Empty;
    }

    public InputFileException(string message)
        : base(message)
    {
        File = string.Empty;
    }

    public InputFileException(string message, Exception inner)
        : base(message, inner)
    {
        File = string.Empty;
    }

    /// <summary>What is wrong, without the file and position (for a diagnostic that carries them).</summary>
    public string Reason { get; } = string.Empty;

    /// <summary>The file as the person named it.</summary>
    public string File { get; }

    /// <summary>1-based position of the problem inside the file (invalid UTF-8), when there is one.</summary>
    public int? Line { get; }

    public int? Column { get; }
}

/// <summary>
/// The one gate every file fleet reads passes first: it must be a regular file (or a symbolic link to one), looked at
/// with <c>stat</c> BEFORE it is opened, because opening a FIFO blocks and a device never ends; and its text must be
/// valid UTF-8, decoded strictly, so a bad byte is an error at its line:col instead of a silent U+FFFD.
/// </summary>
public static partial class InputFiles
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What <paramref name="path"/> names now; symbolic links are followed.</summary>
    public static FileKind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (error, mode, _) = Stat(path, followLinks: true);
        switch (error)
        {
            case 0:
                return KindOfMode(mode);
            case Enoent or Enotdir:
                // A name that is there but leads nowhere is a dangling link, not a missing file.
                return Stat(path, followLinks: false) is (0, var own, _) && (own & SIfmt) == SIflnk ? FileKind.DanglingSymlink : FileKind.Missing;
            case Eloop:
                return FileKind.SymlinkLoop;
            default:
                return FileKind.Unreachable;
        }
    }

    /// <summary>The (device, inode) <paramref name="path"/> names now (links followed), or null when it names nothing.</summary>
    public static FileIdentity? IdentityOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Stat(path, followLinks: true) is (0, _, var identity) ? identity : null;
    }

    /// <summary>"a named pipe (FIFO)", "a folder"…: how a message names a kind.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.Socket => "a socket",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.DanglingSymlink => "a symbolic link to nothing (dangling)",
        FileKind.SymlinkLoop => "a symbolic link loop",
        _ => "not reachable (permission denied on a folder on its way?)",
    };

    /// <summary>The problem with reading <paramref name="path"/> as a file, or null when it is a regular file (or a link to one).</summary>
    public static string? Problem(string path, string displayPath) => KindOf(path) switch
    {
        FileKind.Regular => null,
        FileKind.Missing => $"{displayPath}: no such file",
        var kind => $"{displayPath} is {Describe(kind)}, not a regular file",
    };

    /// <summary>True for a regular file, false when nothing is there; anything else (a FIFO, a folder, a dangling link…) throws.</summary>
    /// <exception cref="InputFileException">The path names something that is not a regular file.</exception>
    public static bool Exists(string path, string displayPath)
    {
        var kind = KindOf(path);
        return kind switch
        {
            FileKind.Regular => true,
            FileKind.Missing => false,
            _ => throw new InputFileException($"{displayPath} is {Describe(kind)}, not a regular file", displayPath),
        };
    }

    /// <exception cref="InputFileException">Missing, or not a regular file.</exception>
    public static void Require(string path, string displayPath)
    {
        if (Problem(path, displayPath) is { } problem)
        {
            throw new InputFileException(problem, displayPath);
        }
    }

    /// <summary>The text of a regular file, strictly decoded.</summary>
    /// <exception cref="InputFileException">Missing, not a regular file, or not valid UTF-8 (with the line:col of the first bad byte).</exception>
    public static string ReadText(string path, string displayPath)
    {
        Require(path, displayPath);
        return Decode(System.IO.File.ReadAllBytes(path), displayPath);
    }

    /// <inheritdoc cref="ReadText"/>
    public static async Task<string> ReadTextAsync(string path, string displayPath, CancellationToken cancellationToken)
    {
        Require(path, displayPath);
        return Decode(await System.IO.File.ReadAllBytesAsync(path, cancellationToken), displayPath);
    }

    /// <summary>UTF-8 bytes to text (a leading BOM dropped); a bad byte is an error at its 1-based line and character column.</summary>
    /// <exception cref="InputFileException">The bytes are not valid UTF-8.</exception>
    public static string Decode(byte[] bytes, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try
        {
            return Strict.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            var at = start + Math.Max(0, e.Index);
            var (line, column) = Position(bytes, start, at);
            var bad = e.BytesUnknown is { Length: > 0 } unknown ? unknown[0] : bytes[Math.Min(at, bytes.Length - 1)];
            var reason = $"invalid UTF-8 (byte 0x{bad:X2}); save the file as UTF-8";
            throw new InputFileException($"{displayPath}:{line}:{column}: {reason}", displayPath, line, column, reason);
        }
    }

    /// <summary>1-based line and character column of the byte at <paramref name="at"/>, counting only the valid text before it.</summary>
    private static (int Line, int Column) Position(byte[] bytes, int start, int at)
    {
        var lineStart = start;
        var line = 1;
        for (var i = start; i < at; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, Strict.GetCharCount(bytes, lineStart, at - lineStart) + 1);
    }

    private static FileKind KindOfMode(uint mode) => (mode & SIfmt) switch
    {
        SIfreg => FileKind.Regular,
        SIfdir => FileKind.Directory,
        SIfifo => FileKind.Fifo,
        SIfsock => FileKind.Socket,
        SIfchr => FileKind.CharacterDevice,
        SIfblk => FileKind.BlockDevice,
        _ => FileKind.Unreachable,
    };

    private const int Enoent = 2;
    private const int Eacces = 13;
    private const int Enotdir = 20;
    private const int Eloop = 40;
    private const uint SIfmt = 0xF000;
    private const uint SIfsock = 0xC000;
    private const uint SIflnk = 0xA000;
    private const uint SIfreg = 0x8000;
    private const uint SIfblk = 0x6000;
    private const uint SIfdir = 0x4000;
    private const uint SIfchr = 0x2000;
    private const uint SIfifo = 0x1000;

    // statx(2): one layout on every Linux architecture, unlike struct stat. Offsets from linux/stat.h.
    private const int AtFdcwd = -100;
    private const int AtSymlinkNofollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int StatxSize = 256;
    private const int ModeOffset = 28;
    private const int InodeOffset = 32;
    private const int DevMajorOffset = 136;
    private const int DevMinorOffset = 140;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatX(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    private static bool _noStatx;

    /// <summary>statx of a path: (0, mode, identity) or (errno, 0, default).</summary>
    private static (int Error, uint Mode, FileIdentity Identity) Stat(string path, bool followLinks)
    {
        if (!_noStatx)
        {
            try
            {
                Span<byte> buffer = stackalloc byte[StatxSize];
                if (StatX(AtFdcwd, path, followLinks ? 0 : AtSymlinkNofollow, StatxType | StatxIno, buffer) != 0)
                {
                    return (Marshal.GetLastPInvokeError(), 0, default);
                }

                var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[ModeOffset..]);
                var inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer[InodeOffset..]);
                var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[DevMajorOffset..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[DevMinorOffset..]);
                return (0, mode, new FileIdentity(device, inode));
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                _noStatx = true;
            }
        }

        return ManagedStat(path, followLinks);
    }

    /// <summary>Without statx (another libc): regular files, folders and links only; no identity.</summary>
    private static (int Error, uint Mode, FileIdentity Identity) ManagedStat(string path, bool followLinks)
    {
        try
        {
            var info = new FileInfo(path);
            if (!followLinks && info.LinkTarget is not null)
            {
                return (0, SIflnk, default);
            }

            if (Directory.Exists(path))
            {
                return (0, SIfdir, default);
            }

            return info.Exists ? (0, SIfreg, default) : (Enoent, 0, default);
        }
        catch (UnauthorizedAccessException)
        {
            return (Eacces, 0, default);
        }
        catch (IOException)
        {
            return (Eloop, 0, default);
        }
    }
}
