namespace Fleet.Team;

/// <summary>
/// The JSON Schema of the architect's answer, passed to <c>claude -p --json-schema</c> (which offers it as the
/// StructuredOutput tool's input schema and checks the model's call against it). Every property is required and no
/// other is allowed, which is also what OpenAI's strict structured outputs (<c>codex exec --output-schema</c>) demand.
/// </summary>
public static class FootprintSchema
{
    public const string Json = """
        {"type":"object","properties":{"footprints":{"type":"array","description":"One entry per issue in scope, each exactly once.","items":{"type":"object","properties":{"issue":{"type":"integer","description":"The issue number."},"files":{"type":"array","items":{"type":"string"},"description":"Repository-relative files the issue will create, change or delete ('/' separated)."},"folders":{"type":"array","items":{"type":"string"},"description":"Folders it will change broadly, ending with '/'."},"migrations":{"type":"array","items":{"type":"string"},"description":"Schema or migration changes it makes; empty when none."},"needs":{"type":"array","items":{"type":"integer"},"description":"Issues in scope whose result this issue needs first; empty when none."},"why":{"type":"string","description":"For each need, the issue's own words that show it, quoted; empty when needs is empty."}},"required":["issue","files","folders","migrations","needs","why"],"additionalProperties":false}}},"required":["footprints"],"additionalProperties":false}
        """;
}
