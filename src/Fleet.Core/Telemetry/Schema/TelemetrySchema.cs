using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using Fleet.Spec;

namespace Fleet.Telemetry.Schema;

/// <summary>
/// The published, versioned schema of telemetry records (<c>fleet telemetry schema</c>). Bump
/// <see cref="Version"/> when a record changes shape; the store records the version it was written with.
/// </summary>
public static class TelemetrySchema
{
    /// <summary>Version of the record shapes and of the store's tables.</summary>
    public const int Version = 1;

    public const string Id = "https://fleet.invalid/telemetry-record.schema.json";

    private static readonly Lazy<JsonObject> Cached = new(Build);

    /// <summary>The schema as published: JSON Schema draft 2020-12, one record per document.</summary>
    public static string ToJson() => Cached.Value.ToJsonString(JsonText.Indented) + "\n";

    /// <summary>A fresh copy of the schema.</summary>
    public static JsonObject Generate() => (JsonObject)Cached.Value.DeepClone();

    private static JsonObject Build()
    {
        var options = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = static (context, node) =>
            {
                if (node is JsonObject schema
                    && context.PropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: false) is [DescriptionAttribute d, ..])
                {
                    schema.Insert(0, "description", d.Description);
                }

                return node;
            },
        };
        var node = (JsonObject)TelemetryJsonContext.Default.TelemetryRecord.GetJsonSchemaAsNode(options);
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = Id,
            ["title"] = "fleet telemetry record",
            ["description"] = "One record of fleet's flight recorder, read from an agent's own transcript. Discriminated by \"kind\".",
            ["x-fleet-telemetry-version"] = Version,
        };
        foreach (var (key, value) in node.ToList())
        {
            node.Remove(key);
            schema[key] = value;
        }

        return schema;
    }
}

/// <summary>Snake-case JSON for telemetry records (the schema, <c>--json</c> dumps).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(TelemetryRecord))]
internal sealed partial class TelemetryJsonContext : JsonSerializerContext;
