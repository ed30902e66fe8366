namespace Fleet.Setup;

/// <summary>One pinned npm package: the agent CLI it installs and its exact version.</summary>
/// <param name="Package">The npm package, e.g. <c>@anthropic-ai/claude-code</c>.</param>
/// <param name="Version">The exact version fleet is tested against.</param>
/// <param name="Executable">The command it installs, e.g. <c>claude</c>.</param>
public sealed record NpmPin(string Package, string Version, string Executable)
{
    /// <summary>What <c>npm install</c> is given: <c>package@version</c>.</summary>
    public string Spec => $"{Package}@{Version}";
}

/// <summary>
/// The agent CLIs fleet is tested against. One file holds the pins (<c>agent-clis.pins</c>): the source checkout's
/// install script reads it, and fleet carries it embedded, so <c>fleet setup</c> installs the same versions.
/// </summary>
public static class AgentCliPins
{
    private const string ResourceName = "Fleet.Setup.agent-clis.pins";

    /// <summary>The pins embedded in this build.</summary>
    public static IReadOnlyList<NpmPin> All { get; } = Parse(ReadEmbedded());

    /// <summary>The pinned version of <paramref name="executable"/> (<c>claude</c>, <c>codex</c>).</summary>
    public static string VersionOf(string executable) =>
        All.FirstOrDefault(p => p.Executable == executable)?.Version
        ?? throw new InvalidOperationException($"no pin for '{executable}' in {ResourceName}");

    /// <summary>Reads the pins file: <c>package version executable</c> a line; blank lines and <c>#</c> comments skipped.</summary>
    /// <exception cref="FormatException">A line that is not three words, or a version that is not exact.</exception>
    public static IReadOnlyList<NpmPin> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pins = new List<NpmPin>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 3)
            {
                throw new FormatException($"line {i + 1}: expected \"npm-package version executable\", got \"{line}\"");
            }

            // An exact version only: a range would let npm float to a release fleet was never tested with.
            if (!words[1].All(c => char.IsAsciiDigit(c) || c == '.') || words[1].Split('.').Length != 3)
            {
                throw new FormatException($"line {i + 1}: \"{words[1]}\" is not an exact version (X.Y.Z)");
            }

            pins.Add(new NpmPin(words[0], words[1], words[2]));
        }

        return pins;
    }

    private static string ReadEmbedded()
    {
        using var stream = typeof(AgentCliPins).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not in the binary");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
