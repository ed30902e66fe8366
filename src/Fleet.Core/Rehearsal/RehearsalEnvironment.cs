using System.Diagnostics;
using System.Globalization;
using Fleet.Paths;

namespace Fleet.Rehearsal;

/// <summary>A file to write before starting the agent.</summary>
public sealed record RehearsalFile(string Path, string Content);

/// <summary>
/// How to point an agent CLI at the rehearsal endpoint: environment variables to set and to remove, and
/// files to write first. One place for this knowledge; the orchestrator and the tests both use it.
/// <list type="bullet">
/// <item>claude: <c>ANTHROPIC_BASE_URL</c> = the endpoint, <c>ANTHROPIC_API_KEY</c> = the rehearsal key,
/// <c>CLAUDE_CONFIG_DIR</c> = a fresh folder (transcripts land in its <c>projects/</c>),
/// <c>CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1</c>, no auto-update/telemetry/error reporting, and
/// <c>CLAUDE_CODE_MAX_RETRIES</c> so a scripted 529 does not back off for minutes.</item>
/// <item>codex: <c>CODEX_HOME</c> = a fresh folder holding <c>config.toml</c> with a model provider
/// <c>fleet_rehearsal</c> (<c>base_url</c> = endpoint + <c>/v1</c>, <c>wire_api = "responses"</c>,
/// <c>env_key = "FLEET_REHEARSAL_API_KEY"</c>), and that variable = the rehearsal key; update checks, web search,
/// plugins and their sync, apps, analytics and feedback off.</item>
/// </list>
/// </summary>
public sealed record RehearsalEnvironment(
    RehearsalProvider Provider,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<string> VariablesToRemove,
    IReadOnlyList<RehearsalFile> Files,
    string ConfigDir)
{
    /// <summary>The variable codex reads the rehearsal key from (named by the provider's <c>env_key</c>).</summary>
    public const string CodexKeyVariable = "FLEET_REHEARSAL_API_KEY";

    /// <summary>The model provider id written into codex's config.toml.</summary>
    public const string CodexProviderId = "fleet_rehearsal";

    /// <param name="provider">Which CLI.</param>
    /// <param name="baseUrl">The endpoint, <see cref="RehearsalServer.BaseUrl"/>.</param>
    /// <param name="key">The worker's key, <see cref="RehearsalKey.ToString"/>.</param>
    /// <param name="tempDir">A folder of this run's own; the CLI's config home is made inside it.</param>
    /// <param name="maxRetries">How often the CLI retries a failed model call (claude: CLAUDE_CODE_MAX_RETRIES; codex: request/stream retries).</param>
    public static RehearsalEnvironment For(RehearsalProvider provider, Uri baseUrl, string key, string tempDir, int maxRetries = 1)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(tempDir);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        var root = baseUrl.GetLeftPart(UriPartial.Authority);
        var retries = maxRetries.ToString(CultureInfo.InvariantCulture);
        if (provider == RehearsalProvider.Claude)
        {
            var config = Path.Combine(tempDir, "claude-config");
            return new RehearsalEnvironment(
                provider,
                new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["ANTHROPIC_BASE_URL"] = root,
                    ["ANTHROPIC_API_KEY"] = key,
                    ["CLAUDE_CONFIG_DIR"] = config,
                    ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                    ["DISABLE_AUTOUPDATER"] = "1",
                    ["DISABLE_TELEMETRY"] = "1",
                    ["DISABLE_ERROR_REPORTING"] = "1",
                    ["CLAUDE_CODE_MAX_RETRIES"] = retries,
                },
                ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_CUSTOM_HEADERS", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_OAUTH_TOKEN"],
                [],
                config);
        }

        if (provider == RehearsalProvider.Gemini)
        {
            return Gemini(root, key, tempDir, maxRetries);
        }

        var home = Path.Combine(tempDir, "codex-home");
        // Top-level keys first (TOML puts every key after a table header into that table). Everything codex does on
        // its own beyond the model calls is off: a rehearsal reaches nothing but 127.0.0.1 (the plugin sync ran
        // `git ls-remote https://github.com/openai/plugins.git`).
        var toml = $"""
            # Written by fleet for a rehearsal: every model call goes to fleet's scripted endpoint on 127.0.0.1,
            # and nothing codex would do on its own reaches further.
            model_provider = "{CodexProviderId}"
            check_for_update_on_startup = false
            web_search = "disabled"

            [model_providers.{CodexProviderId}]
            name = "fleet rehearsal"
            base_url = "{root}/v1"
            env_key = "{CodexKeyVariable}"
            wire_api = "responses"
            request_max_retries = {retries}
            stream_max_retries = {retries}

            [features]
            plugins = false
            remote_plugin = false
            plugin_sharing = false
            apps = false
            in_app_updates = false
            tool_suggest = false
            skill_mcp_dependency_install = false

            [analytics]
            enabled = false

            [feedback]
            enabled = false

            """;
        return new RehearsalEnvironment(
            provider,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["CODEX_HOME"] = home,
                [CodexKeyVariable] = key,
            },
            ["OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_API_KEY"],
            [new RehearsalFile(Path.Combine(home, "config.toml"), toml)],
            home);
    }

    /// <summary>
    /// Gemini: <c>GEMINI_CLI_HOME</c> stands in for the home folder (settings in its <c>.gemini/settings.json</c>,
    /// sessions under <c>.gemini/tmp/&lt;project&gt;/chats</c>); API-key auth with the rehearsal key against
    /// <c>GOOGLE_GEMINI_BASE_URL</c>; usage statistics, telemetry and update checks off; <c>general.maxAttempts</c>
    /// bounds its retries of a failed model call (0.61.0 waits 5 s and more between them).
    /// </summary>
    private static RehearsalEnvironment Gemini(string root, string key, string tempDir, int maxRetries)
    {
        var home = Path.Combine(tempDir, "gemini-home");
        var settings = new System.Text.Json.Nodes.JsonObject
        {
            ["security"] = new System.Text.Json.Nodes.JsonObject { ["auth"] = new System.Text.Json.Nodes.JsonObject { ["selectedType"] = "gemini-api-key" } },
            ["privacy"] = new System.Text.Json.Nodes.JsonObject { ["usageStatisticsEnabled"] = false },
            ["telemetry"] = new System.Text.Json.Nodes.JsonObject { ["enabled"] = false },
            ["general"] = new System.Text.Json.Nodes.JsonObject
            {
                ["enableAutoUpdate"] = false,
                ["enableAutoUpdateNotification"] = false,
                ["maxAttempts"] = maxRetries + 1,
            },
        };
        return new RehearsalEnvironment(
            RehearsalProvider.Gemini,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["GEMINI_CLI_HOME"] = home,
                ["GOOGLE_GEMINI_BASE_URL"] = root,
                ["GEMINI_API_KEY"] = key,
            },
            ["GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_VERTEX_BASE_URL", "GEMINI_MODEL"],
            [new RehearsalFile(Path.Combine(home, ".gemini", "settings.json"), settings.ToJsonString())],
            home);
    }

    /// <summary>Creates the config folder and writes the files.</summary>
    public void WriteFiles()
    {
        PrivateFiles.CreateMissingDirectory(ConfigDir);
        foreach (var file in Files)
        {
            PrivateFiles.CreateMissingDirectory(Path.GetDirectoryName(file.Path)!);
            PrivateFiles.WriteAllText(file.Path, file.Content);
        }
    }

    /// <summary>The variables as one set of changes: removals as null, then the values (see <see cref="Processes.EnvironmentChanges"/>).</summary>
    public IReadOnlyDictionary<string, string?> Changes()
    {
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in VariablesToRemove)
        {
            changes[name] = null;
        }

        foreach (var (name, value) in Variables)
        {
            changes[name] = value;
        }

        return changes;
    }

    /// <summary>Writes the files, then sets and removes the variables on a start info.</summary>
    public void ApplyTo(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        WriteFiles();
        Processes.EnvironmentChanges.ApplyTo(startInfo, Changes());
    }
}
