using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Fleet.State;

namespace Fleet.Gates;

// The inbox is files, written by the one who knows: the shim (which holds the waiting agent) writes a
// request, a person's `fleet approve|deny|answer` creates the answer exclusively (so a second answer is
// refused), and the shim writes the closing record once it has told the agent. Nothing depends on the
// orchestrator being alive, so pending gates survive its crash and stay answerable.
//
//   iterations/<N>/gates/<gate-id>.request.json   written by the shim when it asks (atomically)
//   iterations/<N>/gates/<gate-id>.answer.json    created once (CreateNew) by a person's answer
//   iterations/<N>/gates/<gate-id>.closed.json    written by the shim when the gate is settled
//   iterations/<N>/<worker>.gates.jsonl            every gate of the worker, also those a rule decided (telemetry)
//   .fleet/gates.run.json                          allow rules added by `approve --always` for the rest of the run

/// <summary>What a worker asked a person.</summary>
/// <param name="Id">Unique in the fleet root: <c>&lt;worker&gt;-&lt;iteration&gt;-&lt;seq&gt;</c>.</param>
/// <param name="Kind"><c>permission</c> (can_use_tool) or <c>question</c> (AskUserQuestion).</param>
/// <param name="Tool">The tool name, e.g. <c>Bash</c>, <c>Write</c>, <c>AskUserQuestion</c>.</param>
/// <param name="Summary">One line a person can judge: the exact command, or the file path.</param>
/// <param name="Input">The tool input, secrets masked.</param>
/// <param name="Reason">Why fleet asks (no rule matched, or the destructive rule that matched).</param>
/// <param name="AlwaysRule">
/// Optional (added by the shim): the exact allow rule that <c>approve --always</c> appends to <c>.fleet/gates.run.json</c>
/// for this request, e.g. <c>Bash(npm test)</c> or <c>Write(//abs/path)</c>; null for questions. Exact, so it also
/// passes a destructive operation (which no wildcard rule allows).
/// </param>
public sealed record GateRequest(
    string Id,
    string Worker,
    int Iteration,
    string Kind,
    string Tool,
    string Summary,
    JsonObject? Input,
    string Reason,
    DateTimeOffset AskedAt,
    string? AlwaysRule = null);

/// <summary>A person's answer.</summary>
/// <param name="Decision"><c>allow</c>, <c>deny</c> or <c>answer</c> (to a question).</param>
/// <param name="Message">For deny: what the agent is told.</param>
/// <param name="Always">For allow: add an allow rule for this request for the rest of the run.</param>
/// <param name="Answers">For a question: question text → chosen answer.</param>
public sealed record GateAnswer(
    string Decision,
    string? Message,
    bool Always,
    IReadOnlyDictionary<string, string>? Answers,
    string By,
    DateTimeOffset AnsweredAt);

/// <summary>How a gate ended, as the shim applied it; one line of <c>&lt;worker&gt;.gates.jsonl</c> too.</summary>
/// <param name="DecidedBy"><c>person</c>, <c>rule</c> (an allow or deny rule matched; no one was asked) or <c>closed</c> (the agent ended first).</param>
/// <param name="WaitedMs">How long the agent waited for the decision.</param>
public sealed record GateRecord(
    string Id,
    string Worker,
    int Iteration,
    string Kind,
    string Tool,
    string Summary,
    string Decision,
    string DecidedBy,
    string? Rule,
    string? Message,
    DateTimeOffset AskedAt,
    DateTimeOffset DecidedAt,
    long WaitedMs);

/// <summary>
/// <c>.fleet/gates.run.json</c>: allow rules a person added with <c>fleet approve --always</c>, in force for the rest
/// of the run named by <paramref name="Run"/> (a file left by another run is stale; launch removes it). The CLI
/// rewrites it atomically (read, add, write a temporary file, rename); each shim reads it again on every request,
/// so a rule added while a worker runs applies to that worker's next request.
/// </summary>
/// <param name="Run">The run id the rules belong to (null when the run is unknown).</param>
/// <param name="Allow">Rules in Claude's syntax, in the order they were added (<see cref="GateRequest.AlwaysRule"/> gives the one for a request).</param>
public sealed record RunGateRules(string? Run, IReadOnlyList<string> Allow);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GateRequest))]
[JsonSerializable(typeof(GateAnswer))]
[JsonSerializable(typeof(GateRecord))]
[JsonSerializable(typeof(RunGateRules))]
public sealed partial class GateJsonContext : JsonSerializerContext;

/// <summary>Where the inbox's files live.</summary>
public static class GatePaths
{
    public static string Dir(string iterationDir) => Path.Combine(iterationDir, "gates");

    public static string Request(string iterationDir, string gateId) => Path.Combine(Dir(iterationDir), gateId + ".request.json");

    public static string Answer(string iterationDir, string gateId) => Path.Combine(Dir(iterationDir), gateId + ".answer.json");

    public static string Closed(string iterationDir, string gateId) => Path.Combine(Dir(iterationDir), gateId + ".closed.json");

    public static string Log(string iterationDir, string worker) => Path.Combine(iterationDir, worker + ".gates.jsonl");

    public static string RunRules(string stateDir) => Path.Combine(stateDir, FleetLayout.RunRulesName);

    public static JsonSerializerOptions Options => GateJsonContext.Default.Options;
}
