using System.Text.Json.Serialization;

namespace Fleet.Spec;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(FleetSpec))]
[JsonSerializable(typeof(GatesSpec))]
[JsonSerializable(typeof(NotifySpec))]
public sealed partial class FleetJsonContext : JsonSerializerContext;
