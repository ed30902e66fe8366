using System.Runtime.CompilerServices;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// Golden files: <c>Golden/&lt;name&gt;</c> next to the calling test's source file (resolved from the source tree
/// through <see cref="CallerFilePathAttribute"/>, not from the build output). Run with
/// <c>FLEET_UPDATE_GOLDEN=1</c> to (re)write them, then review the diff before committing.
/// </summary>
public static class Golden
{
    public const string UpdateVariable = "FLEET_UPDATE_GOLDEN";

    /// <summary>Asserts <paramref name="actual"/> equals the golden file <paramref name="name"/> (line endings normalized to \n).</summary>
    public static void Match(string actual, string name, [CallerFilePath] string callerFilePath = "") =>
        Match(actual, name, callerFilePath, Environment.GetEnvironmentVariable(UpdateVariable) == "1");

    /// <summary>The same, with the update switch explicit (for testing the helper itself).</summary>
    public static void Match(string actual, string name, string callerFilePath, bool update)
    {
        ArgumentNullException.ThrowIfNull(actual);
        var path = PathFor(name, callerFilePath);
        actual = Normalize(actual);

        if (update)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        if (!File.Exists(path))
            throw new GoldenMismatchException($"golden file missing: {path}\nrun the test with {UpdateVariable}=1 to create it, then review it.");

        var expected = Normalize(File.ReadAllText(path));
        if (expected == actual)
            return;

        throw new GoldenMismatchException($"output differs from golden file {path}\n{FirstDifference(expected, actual)}\nrun with {UpdateVariable}=1 to accept the new output.");
    }

    public static string PathFor(string name, string callerFilePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerFilePath);
        return Path.Combine(Path.GetDirectoryName(callerFilePath)!, "Golden", name);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of file>";
            var al = i < a.Length ? a[i] : "<end of output>";
            if (el != al)
                return $"first difference at line {i + 1}:\n  expected: {el}\n  actual:   {al}";
        }

        return "(no line differs; whitespace at the end differs)";
    }
}

/// <summary>Thrown when output differs from its golden file.</summary>
public sealed class GoldenMismatchException : Exception
{
    public GoldenMismatchException()
    {
    }

    public GoldenMismatchException(string message)
        : base(message)
    {
    }

    public GoldenMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
