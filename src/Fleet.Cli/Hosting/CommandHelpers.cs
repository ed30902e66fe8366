using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fleet.UseCases;
using Fleet.Validation;

namespace Fleet.Cli.Hosting;

internal static class CommandHelpers
{
    public static Option<bool> JsonOption() => new("--json") { Description = "Write machine-readable JSON to stdout; human messages go to stderr." };

    /// <summary>A path as the user typed it, made absolute against the invocation's working directory.</summary>
    public static string Resolve(ICliConsole console, string path) => Path.GetFullPath(path, console.CurrentDirectory);

    /// <summary>What the use cases know of this invocation: its environment, its working directory, the system clock.</summary>
    public static FleetHost Host(ICliConsole console) => new(console.GetEnvironmentVariable, console.CurrentDirectory, TimeProvider.System);

    /// <summary>Who answers a gate: the user's name.</summary>
    public static string UserName(ICliConsole console) => console.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : "a person";

    public static async Task WriteJsonAsync<T>(ICliConsole console, T value, JsonTypeInfo<T> typeInfo)
    {
        await console.Out.WriteLineAsync(Json(value, typeInfo));
    }

    /// <summary>
    /// JSON as --json prints it: quotes, apostrophes and non-ASCII text as themselves (the default encoder writes
    /// <c>\u0022</c>, safe for HTML but not what a person or <c>jq</c> user expects); control characters stay escaped.
    /// </summary>
    public static string Json<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = typeInfo.Options.WriteIndented }))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Validates the fleet at PATH, or turns "no such fleet" into a usage error.</summary>
    public static ValidationResult Validate(ICliConsole console, string path)
    {
        try
        {
            return FleetValidator.ValidatePath(Resolve(console, path), path);
        }
        catch (FleetNotFoundException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CliException($"{path}: {ex.Message}");
        }
    }

    public static DiagnosticJson ToJson(Diagnostic d) =>
        new(d.Severity == Severity.Error ? "error" : "warning", d.File, d.Line, d.Column, d.JsonPath, d.Message);

    public static async Task WriteDiagnosticsAsync(ICliConsole console, IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            await console.Error.WriteLineAsync(diagnostic.ToString());
        }
    }

    public static string Plural(int n, string word) => n == 1 ? $"{n} {word}" : $"{n} {word}s";
}
