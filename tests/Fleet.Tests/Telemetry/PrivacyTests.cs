using System.Text;
using System.Text.Json;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

public sealed class PrivacyTests
{
    // Built from pieces so that no scanner mistakes this test file for a leak.
    private static readonly string AnthropicKey = "sk-" + "ant-api03-" + new string('A', 40) + "xyz";
    private static readonly string OpenAIKey = "sk-" + "proj-" + new string('b', 48);
    private static readonly string GitHubToken = "gh" + "p_" + new string('C', 36);
    private static readonly string GitHubPat = "github_" + "pat_" + new string('d', 40);
    private static readonly string AwsKey = "AKIA" + "IOSFODNN7EXAMPLE";
    private static readonly string AwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY";
    private static readonly string Jwt = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    private static readonly string PrivateKey = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----";
    private static readonly string UrlPassword = "hunter2" + "Secret99";
    private static readonly string Bearer = "bearertoken" + "0123456789abcdef";

    private static IReadOnlyList<string> Secrets =>
        [AnthropicKey, OpenAIKey, GitHubToken, GitHubPat, AwsKey, AwsSecret, Jwt, "MIIEowIBAAKCAQEAsecretkeymaterial", UrlPassword, Bearer];

    private static string SecretText =>
        $"use {AnthropicKey} and {OpenAIKey}; push with {GitHubToken} or {GitHubPat}; aws_access_key_id={AwsKey} aws_secret_access_key={AwsSecret}; " +
        $"jwt {Jwt}; key {PrivateKey}; db postgres://admin:{UrlPassword}@db.internal:5432/app; curl -H 'Authorization: Bearer {Bearer}'";

    private static string Line(object value) => JsonSerializer.Serialize(value);

    /// <summary>A Claude transcript and a Codex rollout with secrets everywhere text can be: prompt, tool input and output, answers, errors, cwd.</summary>
    private static (string Claude, string Codex) Plant(TempDir dir) => Plant(dir, SecretText);

    private static (string Claude, string Codex) Plant(TempDir dir, string secretText)
    {
        // The person's text (prompts, tool inputs, answers) carries a marker; agent text (errors, outputs) only secrets.
        var s = secretText + " PLAIN_MARKER";
        var agent = secretText;
        // The session id repeats on every row (the writer masks a repeated value once and reuses it): it carries one too.
        var env = new Dictionary<string, object?> { ["sessionId"] = "sess-" + AwsKey, ["cwd"] = "/home/dev/" + GitHubToken, ["version"] = "2.1.38", ["timestamp"] = "2026-02-10T10:00:00Z", ["isSidechain"] = false };
        Dictionary<string, object?> With(params (string K, object? V)[] extra)
        {
            var d = new Dictionary<string, object?>(env);
            foreach (var (k, v) in extra)
                d[k] = v;
            return d;
        }

        var claude = string.Join('\n',
            Line(With(("type", "user"), ("message", new { role = "user", content = s }))),
            Line(With(("type", "assistant"), ("requestId", "req_1"), ("message", new { id = "msg_1", model = "claude-sonnet-4-5-20250929", role = "assistant", usage = new { input_tokens = 10, output_tokens = 5 }, content = new object[] { new { type = "tool_use", id = "tu_1", name = "Bash", input = new { command = s } }, new { type = "tool_use", id = "tu_2", name = "AskUserQuestion", input = new { questions = new[] { new { question = s } } } } } }))),
            Line(With(("type", "user"), ("toolUseResult", new { answers = new Dictionary<string, string> { [s] = s } }), ("message", new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = "tu_1", content = agent, is_error = true }, new { type = "tool_result", tool_use_id = "tu_2", content = "User has answered your questions: " + s } } }))),
            Line(With(("type", "user"), ("message", new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = "tu_9", content = "The user doesn't want to proceed with this tool use. the user said:\n" + s, is_error = true } } }))),
            Line(With(("type", "assistant"), ("isApiErrorMessage", true), ("error", "unknown"), ("message", new { id = "msg_2", model = "<synthetic>", role = "assistant", content = new[] { new { type = "text", text = "API Error: 401 " + agent } } })))) + "\n";
        var codex = string.Join('\n',
            Line(new { timestamp = "2026-02-10T10:00:00Z", type = "session_meta", payload = new { id = "cx-1", cwd = "/srv/" + AwsKey, cli_version = "0.104.0" } }),
            Line(new { timestamp = "2026-02-10T10:00:01Z", type = "turn_context", payload = new { model = "gpt-5.3-codex" } }),
            Line(new { timestamp = "2026-02-10T10:00:02Z", type = "event_msg", payload = new { type = "user_message", message = s } }),
            Line(new { timestamp = "2026-02-10T10:00:03Z", type = "response_item", payload = new { type = "function_call", name = "exec_command", call_id = "c1", arguments = JsonSerializer.Serialize(new { cmd = s }) } }),
            Line(new { timestamp = "2026-02-10T10:00:04Z", type = "response_item", payload = new { type = "function_call_output", call_id = "c1", output = agent } }),
            Line(new { timestamp = "2026-02-10T10:00:05Z", type = "event_msg", payload = new { type = "error", message = agent } })) + "\n";
        return (dir.Write("projects/p/sess-1.jsonl", claude), dir.Write("sessions/2026/02/10/rollout-x.jsonl", codex));
    }

    [Theory]
    [InlineData("metadata")]
    [InlineData("redacted")]
    [InlineData("full")]
    public async Task No_planted_secret_reaches_the_database_file_at_any_privacy_level(string level)
    {
        using var dir = new TempDir();
        var (claude, codex) = Plant(dir);
        var db = dir.Combine("t.db");
        await using (var store = await TelemetryStore.OpenAsync(db, TestContext.Current.CancellationToken).DefaultTimeout())
        {
            var report = await new TelemetryIngestor(store, TimeProvider.System)
                .IngestAsync([claude, codex], new IngestOptions { Privacy = PrivacyPolicy.Parse(level)!.Value }, TestContext.Current.CancellationToken).DefaultTimeout();
            report.Records.ShouldBeGreaterThan(8);
            await store.CheckpointAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        }

        var bytes = Encoding.Latin1.GetString(File.ReadAllBytes(db)) + (File.Exists(db + "-wal") ? Encoding.Latin1.GetString(File.ReadAllBytes(db + "-wal")) : "");
        foreach (var secret in Secrets)
            bytes.ShouldNotContain(secret, Case.Sensitive, $"secret leaked at {level}");

        // The scan can fail: text the policy keeps is really there at redacted and full, and absent at metadata.
        if (level == "metadata")
            bytes.ShouldNotContain("PLAIN_MARKER");
        else
            bytes.ShouldContain("PLAIN_MARKER");
        bytes.ShouldContain("[REDACTED:"); // at least the cwd and the API error message were masked
    }

    [Theory]
    [InlineData("metadata")]
    [InlineData("redacted")]
    [InlineData("full")]
    public async Task No_secret_of_the_planted_corpus_reaches_the_store_files_at_any_privacy_level(string level)
    {
        var planted = new PlantedSecrets(Random.Shared.Next());
        planted.All.Count.ShouldBeGreaterThanOrEqualTo(40);
        using var dir = new TempDir();
        var (claude, codex) = Plant(dir, planted.Text);
        var db = dir.Combine("t.db");
        await using (var store = await TelemetryStore.OpenAsync(db, TestContext.Current.CancellationToken).DefaultTimeout())
        {
            var report = await new TelemetryIngestor(store, TimeProvider.System)
                .IngestAsync([claude, codex], new IngestOptions { Privacy = PrivacyPolicy.Parse(level)!.Value }, TestContext.Current.CancellationToken).DefaultTimeout();
            report.Records.ShouldBeGreaterThan(8);

            // Read while the store is open, before a checkpoint: the WAL and shared-memory files hold the newest pages.
            var open = StoreBytes(db);
            foreach (var secret in planted.All)
                open.ShouldNotContain(secret.Value, Case.Sensitive, $"[{secret.Form}] leaked at {level} (seed {planted.Seed})");
        }

        var bytes = StoreBytes(db);
        foreach (var secret in planted.All)
            bytes.ShouldNotContain(secret.Value, Case.Sensitive, $"[{secret.Form}] leaked at {level} (seed {planted.Seed})");

        // The scan can fail: where the level keeps the person's text it is there, masked in place (redacted cuts it at
        // 2,000 characters, so the first planted line is the one to look for); at metadata the person's marker is not.
        const string FirstLineMasked = "connect to redis://:[REDACTED:password]@cache.internal:6379/0 now";
        if (level == "metadata")
            bytes.ShouldNotContain("PLAIN_MARKER");
        else
            bytes.ShouldContain(FirstLineMasked);
    }

    [Fact]
    public void Every_planted_form_is_masked_as_written_and_inside_a_json_string()
    {
        var planted = new PlantedSecrets(Random.Shared.Next());
        var relaxed = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var leaks = new List<string>();
        foreach (var secret in planted.All)
        {
            var masked = SecretMasker.Mask(secret.Text);
            var maskedJson = SecretMasker.Mask(JsonSerializer.Serialize(secret.Text, relaxed));
            if (masked.Contains(secret.Value, StringComparison.Ordinal) || maskedJson.Contains(secret.Value, StringComparison.Ordinal))
                leaks.Add($"[{secret.Form}] {masked} | {maskedJson}");
            masked.ShouldContain("[REDACTED:", Case.Sensitive, secret.Form);
        }

        // All together, one a line, as text and as a JSON string (escaped newlines and quotes around every name).
        foreach (var text in new[] { planted.Text, JsonSerializer.Serialize(planted.Text), JsonSerializer.Serialize(planted.Text, relaxed) })
        {
            var masked = SecretMasker.Mask(text);
            leaks.AddRange(planted.All.Where(s => masked.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"[{s.Form}] in the joined text"));
        }

        leaks.ShouldBeEmpty($"seed {planted.Seed}");
    }

    [Theory]
    [InlineData("\"input_tokens\": 10, \"max_tokens\": 4096")]
    [InlineData("passwordHash: abcdef and the secretary = Alice")]
    [InlineData("password=$DB_PASSWORD token: <your token>")]
    [InlineData("const csrfToken = document.querySelector(\"meta\")")]
    [InlineData("%Jason.DecodeError{position: 0, token: nil}")]
    [InlineData("the tests pass: all green; keyboard = qwerty")]
    public void Text_that_names_a_secret_without_holding_one_is_kept(string text) =>
        SecretMasker.Mask(text).ShouldBeSameAs(text);

    private static string StoreBytes(string db) =>
        string.Concat(TelemetryStore.StoreFileSuffixes.Select(s => db + s).Where(File.Exists).Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            return reader.ReadToEnd();
        }));

    [Theory]
    [InlineData("anthropic_key")]
    [InlineData("openai_key")]
    [InlineData("github_token")]
    [InlineData("aws_access_key")]
    [InlineData("aws_secret_key")]
    [InlineData("jwt")]
    [InlineData("private_key")]
    [InlineData("password")]
    [InlineData("authorization")]
    public void The_masker_names_what_it_masked(string kind)
    {
        var masked = SecretMasker.Mask(SecretText);
        masked.ShouldContain($"[REDACTED:{kind}]");
        foreach (var secret in Secrets)
            masked.ShouldNotContain(secret);
        masked.ShouldContain("db.internal:5432");
        masked.ShouldContain("push with");
    }

    [Fact]
    public void Text_without_secrets_is_returned_as_is()
    {
        const string Text = "git push origin main; see https://example.org/a:b and ghost_town sk-short";
        SecretMasker.Mask(Text).ShouldBeSameAs(Text);
    }

    [Fact]
    public void Redacted_masks_emails_and_home_user_names_and_cuts_long_text()
    {
        var policy = new PrivacyPolicy(PrivacyLevel.Redacted);
        policy.Text("mail jane.doe@example.com from /home/jane/src").ShouldBe("mail [REDACTED:email] from /home/[user]/src");
        policy.Text(new string('x', 5000))!.Length.ShouldBe(PrivacyPolicy.RedactedMaxLength + 1);
        new PrivacyPolicy(PrivacyLevel.Metadata).Text("anything").ShouldBeNull();
        new PrivacyPolicy(PrivacyLevel.Full).Text("/home/jane " + GitHubToken).ShouldBe("/home/jane [REDACTED:github_token]");
    }
}
