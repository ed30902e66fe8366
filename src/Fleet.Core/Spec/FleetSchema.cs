using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;

namespace Fleet.Spec;

/// <summary>
/// The JSON Schema of fleet.json, generated from the model and its attributes. The validator checks
/// structure against this very schema, so the published schema and the checks cannot drift apart.
/// </summary>
public static class FleetSchema
{
    public const string Id = "https://fleet.invalid/fleet.schema.json";

    private static readonly Lazy<JsonObject> Cached = new(Build);
    private static readonly Lazy<JsonObject> CachedGates = new(BuildGates);
    private static readonly Lazy<JsonObject> CachedNotify = new(BuildNotify);

    /// <summary>A fresh copy of the schema (callers may modify it).</summary>
    public static JsonObject Generate() => (JsonObject)Cached.Value.DeepClone();

    /// <summary>The schema as published by <c>fleet schema</c>.</summary>
    public static string ToJson() => Cached.Value.ToJsonString(JsonText.Indented) + "\n";

    internal static JsonObject Shared => Cached.Value;

    /// <summary>The schema of <c>.fleet/gates.json</c>: fleet.json's <c>gates</c> section on its own.</summary>
    internal static JsonObject GatesShared => CachedGates.Value;

    /// <summary>The schema of the user's <c>notify.json</c>: fleet.json's <c>notify</c> section on its own.</summary>
    internal static JsonObject NotifyShared => CachedNotify.Value;

    private static JsonObject BuildNotify() => (JsonObject)FleetJsonContext.Default.NotifySpec.GetJsonSchemaAsNode(new JsonSchemaExporterOptions
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = Transform,
    });

    private static JsonObject BuildGates() => (JsonObject)FleetJsonContext.Default.GatesSpec.GetJsonSchemaAsNode(new JsonSchemaExporterOptions
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = Transform,
    });

    private static JsonObject Build()
    {
        var options = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Transform,
        };
        var node = (JsonObject)FleetJsonContext.Default.FleetSpec.GetJsonSchemaAsNode(options);
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = Id,
            ["title"] = "fleet.json",
        };
        foreach (var (key, value) in node.ToList())
        {
            node.Remove(key);
            schema[key] = value;
        }

        InlineReferences(schema, schema);
        return schema;
    }

    /// <summary>
    /// The exporter writes a type met a second time (the worker's <c>slurm</c> section repeats config's) as a
    /// <c>$ref</c> to the first; the validator and editors alike read a schema without references more simply.
    /// </summary>
    private static void InlineReferences(JsonNode node, JsonObject root)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (value is JsonObject reference && reference["$ref"] is JsonValue target && target.GetValue<string>() is { } pointer && pointer.StartsWith("#/", StringComparison.Ordinal))
                    {
                        JsonNode? resolved = root;
                        foreach (var part in pointer[2..].Split('/'))
                        {
                            resolved = resolved?[part];
                        }

                        // The target's keywords, with this place's own (its description) kept.
                        reference.Remove("$ref");
                        foreach (var (name, keyword) in (resolved as JsonObject ?? []).Where(k => !reference.ContainsKey(k.Key)))
                        {
                            reference[name] = keyword?.DeepClone();
                        }
                    }
                    else if (value is not null)
                    {
                        InlineReferences(value, root);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a.Where(i => i is not null))
                {
                    InlineReferences(item!, root);
                }

                break;
            default:
                break;
        }
    }

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode node)
    {
        if (node is not JsonObject schema)
        {
            return node;
        }

        // fleet.json never holds null: the model is nullable only so that a missing key can be told apart.
        StripNull(schema);

        if (context.PropertyInfo is null && context.TypeInfo.Kind == JsonTypeInfoKind.Object)
        {
            AddTypeAnnotations(context.TypeInfo, schema);
        }

        if (context.PropertyInfo?.AttributeProvider is { } attributes)
        {
            AddPropertyAnnotations(attributes, schema);
        }

        return schema;
    }

    private static void StripNull(JsonObject schema)
    {
        if (schema["type"] is JsonArray types)
        {
            var kept = types.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList();
            schema["type"] = kept.Count == 1 ? JsonValue.Create(kept[0]) : new JsonArray([.. kept.Select(k => (JsonNode)JsonValue.Create(k))]);
        }

        if (schema["enum"] is JsonArray values)
        {
            foreach (var nullValue in values.Where(v => v is null).ToList())
            {
                values.Remove(nullValue);
            }
        }
    }

    private static void AddTypeAnnotations(JsonTypeInfo typeInfo, JsonObject schema)
    {
        if (typeInfo.Type.GetCustomAttribute<DescriptionAttribute>() is { } description && !schema.ContainsKey("description"))
        {
            schema.Insert(0, "description", description.Description);
        }

        var required = typeInfo.Properties
            .Where(p => p.AttributeProvider?.IsDefined(typeof(RequiredKeyAttribute), inherit: false) == true)
            .Select(p => (JsonNode)JsonValue.Create(p.Name))
            .ToArray();
        if (required.Length > 0)
        {
            schema["required"] = new JsonArray(required);
        }
    }

    private static void AddPropertyAnnotations(ICustomAttributeProvider attributes, JsonObject schema)
    {
        foreach (var attribute in attributes.GetCustomAttributes(inherit: false))
        {
            switch (attribute)
            {
                case DescriptionAttribute d:
                    schema.Insert(0, "description", d.Description);
                    break;
                case PatternAttribute p:
                    schema["pattern"] = p.Pattern;
                    break;
                case MinimumAttribute m:
                    schema["minimum"] = m.Value;
                    break;
                case ExclusiveMinimumAttribute m:
                    schema["exclusiveMinimum"] = m.Value;
                    break;
                case MinItemsAttribute m:
                    schema["minItems"] = m.Count;
                    break;
                case NonEmptyItemsAttribute when schema["items"] is JsonObject items:
                    items["minLength"] = 1;
                    break;
                case DefaultValueAttribute { Value: { } value }:
                    schema["default"] = value switch
                    {
                        int i => JsonValue.Create(i),
                        bool b => JsonValue.Create(b),
                        Enum e => JsonValue.Create(EnumName(e)),
                        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
                    };
                    break;
                default:
                    break;
            }
        }
    }

    private static string EnumName(Enum value)
    {
        var member = value.GetType().GetField(value.ToString())!;
        return member.GetCustomAttribute<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();
    }
}
