using System.Globalization;
using System.Runtime.CompilerServices;
using Fleet.Streams;

namespace Fleet.Tests.Streams;

/// <summary>
/// The real CLI captures in shared/reference/captures, read in place (never copied into the repository).
/// Found through <c>FLEET_CAPTURES_DIR</c>, else by walking up from this source file to a <c>shared/reference/captures</c>.
/// </summary>
internal static class Captures
{
    private static readonly Lazy<string?> Root = new(() => Locate());

    public static string Dir
    {
        get
        {
            if (Root.Value is { } dir)
                return dir;
            Assert.Skip("SKIPPED LOUDLY: the real CLI captures (shared/reference/captures) were not found; set FLEET_CAPTURES_DIR to run the stream golden tests.");
            return "";
        }
    }

    public static string Claude(string name) => Path.Combine(Dir, "claude-2.1.197", "stream", name + ".stdout.jsonl");

    public static string Codex(string name) => Path.Combine(Dir, "codex-0.169.0", "exec-json", name + ".stdout.jsonl");

    /// <summary>The capture's lines as raw bytes, split on \n exactly as a pipe reader would.</summary>
    public static List<byte[]> Lines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'\n')
                continue;
            lines.Add(bytes[start..i]);
            start = i + 1;
        }

        if (start < bytes.Length)
            lines.Add(bytes[start..]);
        return lines;
    }

    /// <summary>The exit code recorded beside a capture (<c>NAME.rc</c> holds <c>rc=N</c>).</summary>
    public static int ExitCode(string stdoutPath)
    {
        var rcPath = stdoutPath.Replace(".stdout.jsonl", ".rc", StringComparison.Ordinal);
        var text = File.ReadAllText(rcPath).Trim();
        return int.Parse(text.StartsWith("rc=", StringComparison.Ordinal) ? text[3..] : text, CultureInfo.InvariantCulture);
    }

    public static T Feed<T>(T reader, string path)
        where T : IAgentStreamReader
    {
        foreach (var line in Lines(path))
            reader.Accept(line);
        return reader;
    }

    public static IReadOnlyList<string> ClaudeNames => Names("claude-2.1.197/stream");

    public static IReadOnlyList<string> CodexNames => Names("codex-0.169.0/exec-json");

    private static List<string> Names(string sub) =>
        Root.Value is { } dir
            ? [.. Directory.GetFiles(Path.Combine(dir, sub), "*.stdout.jsonl").Select(f => Path.GetFileName(f).Replace(".stdout.jsonl", "", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
            : [];

    private static string? Locate([CallerFilePath] string here = "")
    {
        if (Environment.GetEnvironmentVariable("FLEET_CAPTURES_DIR") is { Length: > 0 } env && Directory.Exists(env))
            return env;

        for (var dir = Path.GetDirectoryName(here); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "shared", "reference", "captures");
            if (Directory.Exists(candidate))
                return candidate;
        }

        return null;
    }
}
