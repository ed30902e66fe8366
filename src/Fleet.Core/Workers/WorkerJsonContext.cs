using System.Text.Json.Serialization;

namespace Fleet.Workers;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(WorkerLaunchSpec))]
[JsonSerializable(typeof(WorkerExitRecord))]
[JsonSerializable(typeof(WorkerClaim))]
internal sealed partial class WorkerJsonContext : JsonSerializerContext;
