using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Paths;

namespace Fleet.Doctrine;

/// <summary>A step-0 precondition: a check <c>fleet launch</c> runs (argv, cwd = the fleet root) before any worker starts.</summary>
/// <param name="Text">What must hold, as a person reads it; a failed check stops the launch with this text.</param>
/// <param name="Check">The argv; exit code 0 means the precondition holds.</param>
/// <param name="Source">Where it came from: "run r-…, gate …".</param>
public sealed record Precondition(string Text, IReadOnlyList<string> Check, string Source);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(List<Precondition>))]
public sealed partial class DoctrineJsonContext : JsonSerializerContext;

/// <summary>The doctrine's files in the fleet root: <c>.fleet/doctrine.md</c> and <c>.fleet/preconditions.json</c>.</summary>
public static class DoctrineFiles
{
    public static readonly string DoctrineFileName = Path.Combine(".fleet", "doctrine.md");

    public static readonly string PreconditionsFileName = Path.Combine(".fleet", "preconditions.json");

    public static string Doctrine(string root) => Path.Combine(root, DoctrineFileName);

    public static string Preconditions(string root) => Path.Combine(root, PreconditionsFileName);

    /// <summary>The preconditions; none when the file is missing.</summary>
    /// <exception cref="InvalidDataException">The file is not a list of preconditions.</exception>
    /// <exception cref="InputFileException">The file is not a regular file, or not UTF-8.</exception>
    public static IReadOnlyList<Precondition> ReadPreconditions(string root)
    {
        var file = Preconditions(root);
        if (!InputFiles.Exists(file, PreconditionsFileName))
        {
            return [];
        }

        try
        {
            var list = JsonSerializer.Deserialize(InputFiles.ReadText(file, PreconditionsFileName), DoctrineJsonContext.Default.ListPrecondition) ?? [];
            if (list.Any(p => p is null || p.Check is not { Count: > 0 } || string.IsNullOrWhiteSpace(p.Text)))
            {
                throw new InvalidDataException($"{PreconditionsFileName}: every precondition needs a text and a check (argv)");
            }

            return list;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{PreconditionsFileName}: {e.Message}", e);
        }
    }

    /// <summary>Writes FILE through a temporary file beside it and a rename: readers see the old content or the new, never half.</summary>
    public static void WriteAtomic(string file, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = $"{file}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, file, overwrite: true);
    }
}
