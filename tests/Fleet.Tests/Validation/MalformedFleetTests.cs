using Fleet.Tests.Infrastructure;
using Fleet.Validation;

namespace Fleet.Tests.Validation;

/// <summary>
/// Each malformed fleet.json gets exactly the message a user should see: file, line:col, JSON path and
/// what to do. The expected lines were written by hand from the input, not copied from the output.
/// </summary>
public sealed class MalformedFleetTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    public static TheoryData<string, string, string> Cases() => new()
    {
        // --- JSON syntax ---
        { "empty file", "", "fleet.json:1:1: $: invalid JSON: the file is empty; a fleet.json is a JSON object" },
        { "only whitespace", "  \n  ", "fleet.json:1:1: $: invalid JSON: the file is empty; a fleet.json is a JSON object" },
        { "trailing comma", "{\n  \"fleet_name\": \"f\",\n}", "fleet.json:3:1: $: invalid JSON: The JSON object contains a trailing comma at the end which is not supported in this mode. Change the reader options" },
        { "unquoted key", "{\n  fleet_name: \"f\"\n}", "fleet.json:2:3: $: invalid JSON: 'f' is an invalid start of a property name. Expected a '\"'" },
        { "single quotes", "{\n  \"fleet_name\": 'f'\n}", "fleet.json:2:17: $: invalid JSON: ''' is an invalid start of a value" },
        { "comment", "{\n  // my fleet\n  \"fleet_name\": \"f\"\n}", "fleet.json:2:3: $: invalid JSON: comments are not allowed in JSON" },
        { "unclosed object", "{\n  \"fleet_name\": \"f\"\n", "fleet.json:3:1: $: invalid JSON: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed" },
        { "two documents", "{}\n{}", "fleet.json:2:1: $: invalid JSON: '{' is invalid after a single JSON value. Expected end of data" },
        { "missing colon", "{\n  \"fleet_name\" \"f\"\n}", "fleet.json:2:16: $: invalid JSON: '\"' is invalid after a property name. Expected a ':'" },
        { "column counts characters, not bytes", "{\n  \"fleet_name\": \"ünïcödé\" x\n}", "fleet.json:2:27: $: invalid JSON: 'x' is invalid after a value. Expected either ',', '}', or ']'" },

        // --- top level ---
        { "not an object", "[1, 2]", "fleet.json:1:1: $: expected an object, found an array" },
        { "missing fleet_name", "{\n  \"type\": \"dag\",\n  \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ]\n}", "fleet.json:1:1: $: missing required key \"fleet_name\"" },
        { "missing type", "{\n  \"fleet_name\": \"f\",\n  \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ]\n}", "fleet.json:1:1: $: missing required key \"type\"" },
        { "missing workers", "{\n  \"fleet_name\": \"f\",\n  \"type\": \"dag\"\n}", "fleet.json:1:1: $: missing required key \"workers\"" },
        { "empty workers", "{\n  \"fleet_name\": \"f\",\n  \"type\": \"dag\",\n  \"workers\": []\n}", "fleet.json:4:14: $.workers: must have at least 1 item" },
        { "unknown top-level key with a suggestion", Fleet("\"stop_whn\": { \"max_iterations\": 3 },"), "fleet.json:4:3: $.stop_whn: unknown key \"stop_whn\"; did you mean \"stop_when\"?" },
        { "camelCase key", Fleet("\"fleetName\": \"g\","), "fleet.json:4:3: $.fleetName: unknown key \"fleetName\"; did you mean \"fleet_name\"?" },
        { "unknown key without a suggestion", Fleet("\"colour\": \"blue\","), "fleet.json:4:3: $.colour: unknown key \"colour\"" },
        { "duplicate key", Fleet("\"type\": \"dag\","), "fleet.json:4:3: $.type: duplicate key \"type\" (first at line 3)" },
        { "fleet name with spaces", "{\n  \"fleet_name\": \"My Fleet\",\n  \"type\": \"dag\",\n  \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ]\n}", "fleet.json:2:17: $.fleet_name: \"My Fleet\" is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit" },
        { "unknown fleet type", "{\n  \"fleet_name\": \"f\",\n  \"type\": \"iterativ\",\n  \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ]\n}", "fleet.json:3:11: $.type: unknown value \"iterativ\"; expected one of: dag, iterative, worktree; did you mean \"iterative\"?" },
        { "fleet type of the wrong case", "{\n  \"fleet_name\": \"f\",\n  \"type\": \"DAG\",\n  \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ]\n}", "fleet.json:3:11: $.type: unknown value \"DAG\"; expected one of: dag, iterative, worktree; did you mean \"dag\"?" },
        { "fleet type is a number", "{\n  \"fleet_name\": \"f\",\n  \"type\": 1,\n  \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ]\n}", "fleet.json:3:11: $.type: unknown value 1; expected one of: dag, iterative, worktree" },

        // --- config ---
        { "config is an array", Fleet("\"config\": [],"), "fleet.json:4:13: $.config: expected an object, found an array" },
        { "max_concurrent zero", Fleet("\"config\": { \"max_concurrent\": 0 },"), "fleet.json:4:33: $.config.max_concurrent: must be at least 1, found 0" },
        { "max_concurrent as a string", Fleet("\"config\": { \"max_concurrent\": \"3\" },"), "fleet.json:4:33: $.config.max_concurrent: expected an integer, found a string (\"3\")" },
        { "max_concurrent with a fraction", Fleet("\"config\": { \"max_concurrent\": 2.5 },"), "fleet.json:4:33: $.config.max_concurrent: expected an integer, found a number (2.5)" },
        { "max_concurrent written as 3.0", Fleet("\"config\": { \"max_concurrent\": 3.0 },"), "fleet.json:4:33: $.config.max_concurrent: expected an integer, found a number (3.0)" },
        { "negative cost cap", Fleet("\"config\": { \"cost_cap_usd\": -1 },"), "fleet.json:4:31: $.config.cost_cap_usd: must be greater than 0, found -1" },
        { "zero cost cap", Fleet("\"config\": { \"cost_cap_usd\": 0 },"), "fleet.json:4:31: $.config.cost_cap_usd: must be greater than 0, found 0" },
        { "unknown provider", Fleet("\"config\": { \"provider\": \"claud\" },"), "fleet.json:4:27: $.config.provider: unknown value \"claud\"; expected one of: claude, codex, gemini, command; did you mean \"claude\"?" },
        { "misspelt config key", Fleet("\"config\": { \"max_concurent\": 3 },"), "fleet.json:4:15: $.config.max_concurent: unknown key \"max_concurent\"; did you mean \"max_concurrent\"?" },
        { "unknown permission mode", Fleet("\"config\": { \"permission_mode\": \"acceptedits\" },"), "fleet.json:4:34: $.config.permission_mode: unknown value \"acceptedits\"; expected one of: acceptEdits, auto, bypassPermissions, default, dontAsk, manual, plan; did you mean \"acceptEdits\"?" },
        { "config effort that an inheriting codex worker refuses", Fleet("\"config\": { \"provider\": \"codex\", \"reasoning_effort\": \"max\" },"), "fleet.json:4:56: $.config.reasoning_effort: codex does not accept reasoning effort \"max\", which \"a\", \"r\" inherit; use one of: minimal, low, medium, high, xhigh" },
        { "unknown effort", Fleet("\"config\": { \"reasoning_effort\": \"hihg\" },"), "fleet.json:4:35: $.config.reasoning_effort: unknown value \"hihg\"; expected one of: minimal, low, medium, high, xhigh, max; did you mean \"high\"?" },

        // --- stop_when ---
        { "lgtm count zero", Fleet("\"stop_when\": { \"reviewer_lgtm_count\": 0 },"), "fleet.json:4:41: $.stop_when.reviewer_lgtm_count: must be at least 1, found 0" },
        { "max iterations zero", Fleet("\"stop_when\": { \"max_iterations\": 0 },"), "fleet.json:4:36: $.stop_when.max_iterations: must be at least 1, found 0" },
        { "stop_when with an unknown rule", Fleet("\"stop_when\": { \"lgtm\": 2 },"), "fleet.json:4:18: $.stop_when.lgtm: unknown key \"lgtm\"" },

        // --- gates ---
        { "gate rule that is not a rule", Fleet("\"gates\": { \"allow\": [\"bash npm test\"] },"), "fleet.json:4:24: $.gates.allow[0]: \"bash npm test\" is not a rule: write Tool or Tool(pattern), e.g. Bash(npm test:*) or Edit(src/**)" },
        { "gate rule without its closing parenthesis", Fleet("\"gates\": { \"allow\": [\"Bash(npm test\"] },"), "fleet.json:4:24: $.gates.allow[0]: \"Bash(npm test\" is not a rule: the pattern must end with ')'; write Tool or Tool(pattern), e.g. Bash(npm test:*) or Edit(src/**)" },
        { "gate rule with :* in the middle", Fleet("\"gates\": { \"deny\": [\"Bash(npm:* test)\"] },"), "fleet.json:4:23: $.gates.deny[0]: \"Bash(npm:* test)\": \":*\" is a prefix wildcard and must end the pattern, as in Bash(npm test:*)" },
        { "gate rule with a lower-case tool", Fleet("\"gates\": { \"allow\": [\"bash(ls)\"] },"), "fleet.json:4:24: $.gates.allow[0]: unknown tool \"bash\" (tool names are case-sensitive); did you mean \"Bash\"?" },
        { "empty destructive rule", Fleet("\"gates\": { \"destructive\": [\"\"] },"), "fleet.json:4:30: $.gates.destructive[0]: must not be empty" },
        { "gate rules as a string", Fleet("\"gates\": { \"allow\": \"Bash\" },"), "fleet.json:4:23: $.gates.allow: expected an array, found a string (\"Bash\")" },
        { "misspelt gates key", Fleet("\"gates\": { \"alow\": [] },"), "fleet.json:4:14: $.gates.alow: unknown key \"alow\"; did you mean \"allow\"?" },

        // --- workers ---
        { "worker is a string", Workers("\"a\""), "fleet.json:5:5: $.workers[0]: expected an object, found a string (\"a\")" },
        { "worker without id", Workers("{ \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:5:5: $.workers[0]: missing required key \"id\"" },
        { "worker without type", Workers("{ \"id\": \"a\", \"task\": \"t\" }"), "fleet.json:5:5: $.workers[0]: missing required key \"type\"" },
        { "unknown worker type", Workers("{ \"id\": \"a\", \"type\": \"coderun\", \"task\": \"t\" }"), "fleet.json:5:26: $.workers[0].type: unknown value \"coderun\"; expected one of: code-run, reviewer; did you mean \"code-run\"?" },
        { "id that escapes the fleet root", Workers("{ \"id\": \"../etc\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:5:13: $.workers[0].id: \"../etc\" is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit" },
        { "id with a slash", Workers("{ \"id\": \"a/b\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:5:13: $.workers[0].id: \"a/b\" is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit" },
        { "id starting with a dot", Workers("{ \"id\": \".hidden\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:5:13: $.workers[0].id: \".hidden\" is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit" },
        { "id of 65 characters", Workers("{ \"id\": \"" + new string('a', 65) + "\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:5:13: $.workers[0].id: \"" + new string('a', 65) + "\" is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit" },
        { "empty id", Workers("{ \"id\": \"\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:5:13: $.workers[0].id: \"\" is not a valid id: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit" },
        { "duplicate worker ids", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:6:13: $.workers[1].id: duplicate worker id \"a\" (also $.workers[0], line 5)" },
        { "unknown worker key", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"taks\": \"t\" }"), "fleet.json:5:38: $.workers[0].taks: unknown key \"taks\"; did you mean \"task\"?" },
        { "depends_on is a string", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"b\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": \"a\" }"), "fleet.json:6:65: $.workers[1].depends_on: expected an array, found a string (\"a\")" },
        { "depends on an unknown worker", Dag("{ \"id\": \"builder-a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"b\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"buidler-a\"] }"), "fleet.json:6:66: $.workers[1].depends_on[0]: unknown worker \"buidler-a\"; did you mean \"builder-a\"?" },
        { "depends on itself", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"a\"] }"), "fleet.json:5:66: $.workers[0].depends_on[0]: worker \"a\" cannot depend on itself" },
        { "two-worker cycle", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"b\"] },\n    { \"id\": \"b\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"a\"] }"), "fleet.json:5:65: $.workers[0].depends_on: dependency cycle: a -> b -> a" },
        { "three-worker cycle", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"b\"] },\n    { \"id\": \"b\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"c\"] },\n    { \"id\": \"c\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"a\"] }"), "fleet.json:5:65: $.workers[0].depends_on: dependency cycle: a -> b -> c -> a" },
        { "iterative fleet without a reviewer", Workers("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" }"), "fleet.json:4:14: $.workers: an iterative fleet needs exactly one worker of type \"reviewer\" to give each iteration its verdict; found none" },
        { "iterative fleet with two reviewers", Workers("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"r\", \"type\": \"reviewer\", \"task\": \"t\", \"depends_on\": [\"a\"] },\n    { \"id\": \"s\", \"type\": \"reviewer\", \"task\": \"t\", \"depends_on\": [\"a\"] }"), "fleet.json:7:26: $.workers[2].type: an iterative fleet has exactly one reviewer; \"s\" is a second one (the first is \"r\")" },
        { "reviewer that misses a code-run worker", Workers("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"b\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"r\", \"type\": \"reviewer\", \"task\": \"t\", \"depends_on\": [\"a\"] }"), "fleet.json:7:65: $.workers[2].depends_on: the reviewer \"r\" must depend, directly or not, on every code-run worker; missing: b" },
        { "reviewer without depends_on", Workers("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"r\", \"type\": \"reviewer\", \"task\": \"t\" }"), "fleet.json:6:5: $.workers[1]: the reviewer \"r\" must depend, directly or not, on every code-run worker; missing: a" },
        { "worktree task with a workdir", Worktree("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"workdir\": \".\" }"), "fleet.json:5:62: $.workers[0].workdir: a worktree fleet runs each task in its own worktree: remove workdir (or use type dag or iterative)" },
        { "workdir that does not exist", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"workdir\": \"no-such-dir\" }"), "fleet.json:5:62: $.workers[0].workdir: no such folder: {fleet_root}/no-such-dir" },
        { "worktree fleet with depends_on", Worktree("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n    { \"id\": \"b\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"a\"] }"), "fleet.json:6:65: $.workers[1].depends_on: a worktree fleet runs independent tasks, each in its own worktree: remove depends_on (or use type dag)" },
        { "command worker without argv", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\" }"), "fleet.json:5:5: $.workers[0]: worker \"a\" has provider command but no \"command\": give an argv array such as [\"npm\", \"test\"]" },
        { "command worker with an empty argv", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\", \"command\": [] }"), "fleet.json:5:72: $.workers[0].command: must have at least 1 item" },
        { "command worker with an empty program", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\", \"command\": [\"\"] }"), "fleet.json:5:73: $.workers[0].command[0]: must not be empty" },
        { "command given as a shell string", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\", \"command\": \"npm test\" }"), "fleet.json:5:72: $.workers[0].command: expected an array, found a string (\"npm test\")" },
        { "command with an unknown placeholder", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\", \"command\": [\"run\", \"{iter}\"] }"), "fleet.json:5:81: $.workers[0].command[1]: unknown placeholder {iter}; known: {iteration}, {prompt_file}, {root}, {worker} (write {{ and }} for literal braces)" },
        { "command with an upper-case placeholder", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\", \"command\": [\"run\", \"--in={ROOT}\"] }"), "fleet.json:5:86: $.workers[0].command[1]: unknown placeholder {ROOT} (placeholders are lower case: did you mean {root}?); known: {iteration}, {prompt_file}, {root}, {worker} (write {{ and }} for literal braces)" },
        { "command with an unclosed placeholder", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"provider\": \"command\", \"command\": [\"run\", \"{iteration\"] }"), "fleet.json:5:81: $.workers[0].command[1]: unclosed placeholder {iteration: close it with } (or write {{ for a literal brace)" },
        { "command on a claude worker", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"command\": [\"ls\"] }"), "fleet.json:5:62: $.workers[0].command: \"command\" is only for provider command; this worker's provider is claude" },
        { "codex worker with claude's max effort", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"provider\": \"codex\", \"reasoning_effort\": \"max\" }"), "fleet.json:5:92: $.workers[0].reasoning_effort: codex does not accept reasoning effort \"max\"; use one of: minimal, low, medium, high, xhigh" },
        { "claude worker with codex's minimal effort", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"reasoning_effort\": \"minimal\" }"), "fleet.json:5:71: $.workers[0].reasoning_effort: claude does not accept reasoning effort \"minimal\"; use one of: low, medium, high, xhigh, max" },
        { "budget of zero", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"max_budget_per_iter\": 0 }"), "fleet.json:5:74: $.workers[0].max_budget_per_iter: must be greater than 0, found 0" },
        { "task is a number", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": 42 }"), "fleet.json:5:46: $.workers[0].task: expected a string, found a number (42)" },
        { "model is null", Dag("{ \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"model\": null }"), "fleet.json:5:60: $.workers[0].model: expected a string, found null" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_malformed_fleet_gets_exactly_the_expected_message(string because, string json, string expected)
    {
        var result = FleetValidator.Validate(json, "fleet.json", _root.Path);

        result.IsValid.ShouldBeFalse(because);
        result.Errors.Select(e => e.ToString()).ShouldBe([expected.Replace("{fleet_root}", _root.Path, StringComparison.Ordinal)], because);
    }

    [Fact]
    public void There_are_at_least_forty_malformed_cases() => Cases().Count.ShouldBeGreaterThanOrEqualTo(40);

    /// <summary>An iterative fleet with one extra line at line 4 (after fleet_name and type).</summary>
    private static string Fleet(string line4) =>
        "{\n  \"fleet_name\": \"f\",\n  \"type\": \"iterative\",\n  " + line4 + "\n  \"workers\": [\n" +
        "    { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" },\n" +
        "    { \"id\": \"r\", \"type\": \"reviewer\", \"task\": \"t\", \"depends_on\": [\"a\"] }\n  ]\n}";

    /// <summary>An iterative fleet whose workers start at line 5, column 5.</summary>
    private static string Workers(string workers) => Typed("iterative", workers);

    private static string Dag(string workers) => Typed("dag", workers);

    private static string Worktree(string workers) => Typed("worktree", workers);

    private static string Typed(string type, string workers) =>
        "{\n  \"fleet_name\": \"f\",\n  \"type\": \"" + type + "\",\n  \"workers\": [\n    " + workers + "\n  ]\n}";
}
