using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Spec;

namespace Fleet.Validation;

/// <summary>
/// Checks a parsed file against the subset of JSON Schema that <see cref="FleetSchema"/> emits
/// (type, enum, required, additionalProperties:false, pattern, minimum, exclusiveMinimum, minItems,
/// minLength, items). It reports every problem, and returns a copy of the document without the
/// invalid parts, so the semantic checks can still run on everything that is well-formed.
/// </summary>
public sealed class SchemaChecker(string file, List<Diagnostic> diagnostics)
{
    public JsonNode? Check(SourceNode node, JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(schema);
        if (schema["type"] is { } type && !MatchesType(node, type, out var expected))
        {
            Error(node, $"expected {expected}, found {Describe(node)}");
            return null;
        }

        return node switch
        {
            SourceObject o => CheckObject(o, schema),
            SourceArray a => CheckArray(a, schema),
            SourceValue v => CheckValue(v, schema),
            _ => null,
        };
    }

    private JsonObject CheckObject(SourceObject node, JsonObject schema)
    {
        var result = new JsonObject();
        var properties = schema["properties"] as JsonObject ?? [];
        var closed = schema["additionalProperties"] is JsonValue v && v.GetValueKind() == JsonValueKind.False;
        var seen = new Dictionary<string, SourceProperty>(StringComparer.Ordinal);
        var misspelled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in node.Properties)
        {
            var path = JsonPaths.Property(node.Path, property.Name);
            if (seen.TryGetValue(property.Name, out var first))
            {
                diagnostics.Add(new Diagnostic(Severity.Error, file, property.Line, property.Column, path,
                    $"duplicate key \"{property.Name}\" (first at line {first.Line})"));
                continue;
            }

            seen[property.Name] = property;
            var name = property.Name;
            if (properties[name] is not JsonObject propertySchema)
            {
                if (!closed)
                {
                    continue;
                }

                var meant = DidYouMean.Suggest(name, properties.Select(p => p.Key));
                diagnostics.Add(new Diagnostic(Severity.Error, file, property.Line, property.Column, path,
                    $"unknown key \"{name}\"{(meant is null ? string.Empty : $"; did you mean \"{meant}\"?")}"));

                // A near miss is read as the key it misses, so the rules between fields judge what the person meant
                // instead of reporting that key's absence as a second problem. The error above still fails the file.
                if (meant is null || properties[meant] is not JsonObject meantSchema || misspelled.Contains(meant) || node.Properties.Any(p => p.Name == meant))
                {
                    continue;
                }

                (name, propertySchema) = (meant, meantSchema);
                misspelled.Add(meant);
            }

            if (Check(property.Value, propertySchema) is { } checkedValue)
            {
                result[name] = checkedValue;
            }
        }

        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r!.GetValue<string>()).Where(n => !seen.ContainsKey(n) && !misspelled.Contains(n)))
            {
                Error(node, $"missing required key \"{name}\"");
            }
        }

        return result;
    }

    private JsonArray CheckArray(SourceArray node, JsonObject schema)
    {
        if (schema["minItems"] is { } minItems && node.Items.Count < minItems.GetValue<int>())
        {
            var n = minItems.GetValue<int>();
            Error(node, $"must have at least {n} item{(n == 1 ? "" : "s")}");
        }

        var result = new JsonArray();
        var itemSchema = schema["items"] as JsonObject;
        foreach (var item in node.Items)
        {
            var checkedItem = itemSchema is null ? null : Check(item, itemSchema);
            if (checkedItem is not null || itemSchema is null)
            {
                result.Add(checkedItem);
            }
        }

        return result;
    }

    private JsonNode? CheckValue(SourceValue node, JsonObject schema)
    {
        var ok = true;
        if (schema["enum"] is JsonArray allowed)
        {
            var names = allowed.Select(a => a?.ToJsonString().Trim('"') ?? "null").ToList();
            if (!allowed.Any(a => JsonNode.DeepEquals(a, node.Value)))
            {
                var typed = node.Value?.ToJsonString().Trim('"') ?? "null";
                Error(node, $"unknown value {node.RawText}; expected one of: {string.Join(", ", names)}{DidYouMean.Hint(typed, names)}");
                ok = false;
            }
        }

        if (node.Kind == JsonValueKind.String)
        {
            var text = node.Value!.GetValue<string>();
            if (schema["minLength"] is { } minLength && text.Length < minLength.GetValue<int>())
            {
                Error(node, "must not be empty");
                ok = false;
            }

            if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, pattern.GetValue<string>(), RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                Error(node, pattern.GetValue<string>() == Ids.Pattern
                    ? $"{node.RawText} is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
                    : $"{node.RawText} does not match the pattern {pattern.GetValue<string>()}");
                ok = false;
            }
        }

        if (node.Kind == JsonValueKind.Number)
        {
            var number = double.Parse(node.RawText, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (schema["minimum"] is { } minimum && number < minimum.GetValue<double>())
            {
                Error(node, $"must be at least {Format(minimum.GetValue<double>())}, found {node.RawText}");
                ok = false;
            }

            if (schema["exclusiveMinimum"] is { } exclusive && number <= exclusive.GetValue<double>())
            {
                Error(node, $"must be greater than {Format(exclusive.GetValue<double>())}, found {node.RawText}");
                ok = false;
            }
        }

        return ok ? node.Value?.DeepClone() : null;
    }

    private static bool MatchesType(SourceNode node, JsonNode type, out string expected)
    {
        var types = type is JsonArray array ? array.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
        expected = string.Join(" or ", types.Select(Article));
        return types.Any(t => t switch
        {
            "object" => node is SourceObject,
            "array" => node is SourceArray,
            "string" => node is SourceValue { Kind: JsonValueKind.String },
            "boolean" => node is SourceValue { Kind: JsonValueKind.True or JsonValueKind.False },
            "number" => node is SourceValue { Kind: JsonValueKind.Number },
            // 3.0 is a number in JSON Schema's eyes, but nobody means "3.0 workers at once".
            "integer" => node is SourceValue { Kind: JsonValueKind.Number } v && IsIntegerLiteral(v.RawText),
            "null" => node is SourceValue { Kind: JsonValueKind.Null },
            _ => false,
        });
    }

    private static bool IsIntegerLiteral(string raw) =>
        raw.All(c => char.IsAsciiDigit(c) || c == '-') && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n is >= int.MinValue and <= int.MaxValue;

    private static string Article(string type) => type switch
    {
        "object" => "an object",
        "array" => "an array",
        "integer" => "an integer",
        "null" => "null",
        _ => $"a {type}",
    };

    private static string Describe(SourceNode node) => node is SourceValue v && v.Kind != JsonValueKind.Null
        ? $"{node.KindName} ({Shorten(v.RawText)})"
        : node.KindName;

    private static string Shorten(string raw) => raw.Length <= 40 ? raw : string.Concat(raw.AsSpan(0, 37), "...");

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private void Error(SourceNode node, string message) =>
        diagnostics.Add(new Diagnostic(Severity.Error, file, node.Line, node.Column, node.Path, message));
}
