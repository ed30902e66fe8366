using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fleet.Spec;

/// <summary>How fleet writes JSON that people read: indented, and without escaping quotes and apostrophes.</summary>
public static class JsonText
{
    public static JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
