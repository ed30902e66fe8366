using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Forge;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Forge;

/// <summary>One gh call as the fake recorded it.</summary>
public sealed record GhCall(IReadOnlyList<string> Argv, string Cwd, IReadOnlyDictionary<string, string?> Env)
{
    public string Line => string.Join(' ', Argv);
}

/// <summary>
/// tests/Fleet.FakeGh installed as <c>gh</c> in a temp folder put first on PATH (given to the forge, never to this
/// test process), with its state file and its argv log beside it.
/// </summary>
public sealed class FakeGhInstall : IDisposable
{
    private static readonly Lazy<string> AppHost = new(Locate);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly TempDir _dir = new("fleet-fakegh-");

    public FakeGhInstall(JsonObject? state = null)
    {
        BinDir = _dir.Combine("bin");
        Directory.CreateDirectory(BinDir);
        var gh = Path.Combine(BinDir, "gh");
        File.WriteAllText(gh, $"#!/bin/sh\nexec '{AppHost.Value.Replace("'", "'\\''", StringComparison.Ordinal)}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(gh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        StatePath = _dir.Combine("state.json");
        LogPath = _dir.Combine("calls.jsonl");
        WriteState(state ?? DefaultState());
    }

    public string BinDir { get; }

    public string StatePath { get; }

    public string LogPath { get; }

    /// <summary>What gh needs to be this fake: PATH with the fake first, its state and its log.</summary>
    public Dictionary<string, string?> Environment => new(StringComparer.Ordinal)
    {
        ["PATH"] = BinDir + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"),
        ["FAKE_GH_STATE"] = StatePath,
        ["FAKE_GH_LOG"] = LogPath,
    };

    /// <summary>A repository "octo/widgets" where the fleet's account is fleet-bot, on a fixed clock, with a main branch.</summary>
    public static JsonObject DefaultState() => new()
    {
        ["owner"] = "octo",
        ["repo"] = "widgets",
        ["viewer"] = "fleet-bot",
        ["now"] = "2026-03-01T12:00:00Z",
        ["branches"] = new JsonObject { ["main"] = Sha('0') },
        ["issues"] = new JsonArray(),
        ["pulls"] = new JsonArray(),
    };

    /// <summary>A 40-hex commit id made of one repeated digit, easy to tell apart in messages.</summary>
    public static string Sha(char digit) => new(digit, 40);

    /// <summary>A GhForge over this fake in <paramref name="repositoryDir"/>, with extra environment for the fake.</summary>
    public GhForge Forge(string repositoryDir, IReadOnlyDictionary<string, string?>? extra = null, TimeSpan? callTimeout = null)
    {
        var environment = Environment;
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return new GhForge(repositoryDir, new GhForgeOptions { Environment = environment, CallTimeout = callTimeout ?? TimeSpan.FromSeconds(30) });
    }

    public JsonObject ReadState() => JsonNode.Parse(File.ReadAllText(StatePath))!.AsObject();

    public void WriteState(JsonObject state) => File.WriteAllText(StatePath, state.ToJsonString(Indented));

    public void ChangeState(Action<JsonObject> change)
    {
        var state = ReadState();
        change(state);
        WriteState(state);
    }

    /// <summary>A push: the branch gets a new head commit, and its open pull requests follow it, as on GitHub.</summary>
    public void Push(string branch, string sha) => ChangeState(state =>
    {
        state["branches"]![branch] = sha;
        foreach (var pr in state["pulls"]!.AsArray().OfType<JsonObject>())
        {
            if ((string?)pr["headRefName"] == branch && (string?)pr["state"] == "OPEN")
            {
                pr["headRefOid"] = sha;
            }
        }
    });

    public void AddIssue(int number, string title, string body, string[] labels, string state = "OPEN", params (string Author, string Body)[] comments) => ChangeState(s =>
        s["issues"]!.AsArray().Add(new JsonObject
        {
            ["number"] = number,
            ["title"] = title,
            ["body"] = body,
            ["labels"] = new JsonArray([.. labels.Select(l => (JsonNode)JsonValue.Create(l))]),
            ["state"] = state,
            ["author"] = "octocat",
            ["createdAt"] = "2026-02-01T09:00:00Z",
            ["comments"] = new JsonArray([.. comments.Select(c => (JsonNode)new JsonObject { ["author"] = c.Author, ["body"] = c.Body, ["createdAt"] = "2026-02-02T10:00:00Z" })]),
        }));

    /// <summary>An open pull request by <paramref name="author"/> whose head is the branch's current commit.</summary>
    public void AddPull(int number, string head, string title, string body, string author = "octocat") => ChangeState(s =>
        s["pulls"]!.AsArray().Add(new JsonObject
        {
            ["number"] = number,
            ["title"] = title,
            ["body"] = body,
            ["headRefName"] = head,
            ["baseRefName"] = "main",
            ["headRefOid"] = (string?)s["branches"]![head] ?? throw new InvalidOperationException($"push {head} first"),
            ["state"] = "OPEN",
            ["author"] = author,
            ["createdAt"] = "2026-02-03T11:00:00Z",
            ["reviews"] = new JsonArray(),
            ["comments"] = new JsonArray(),
        }));

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<GhCall> Calls() =>
        !File.Exists(LogPath)
            ? []
            : [.. File.ReadAllLines(LogPath).Where(l => l.Length > 0).Select(l =>
            {
                var node = JsonNode.Parse(l)!.AsObject();
                var env = node["env"] is JsonObject e ? e.ToDictionary(p => p.Key, p => (string?)p.Value) : new Dictionary<string, string?>();
                return new GhCall([.. node["argv"]!.AsArray().Select(a => (string)a!)], (string)node["cwd"]!, env);
            })];

    /// <summary>The argv log as JSON lines, with <paramref name="repositoryDir"/> shown as &lt;repo&gt; (for golden files).</summary>
    public string LogFor(string repositoryDir) =>
        string.Concat(Calls().Select(c => new JsonObject
        {
            ["argv"] = new JsonArray([.. c.Argv.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["cwd"] = c.Cwd == repositoryDir ? "<repo>" : c.Cwd,
        }.ToJsonString(Relaxed) + "\n"));

    public void Dispose() => _dir.Dispose();

    private static string Locate()
    {
        // tests/Fleet.Tests/bin/<Configuration>/<tfm>/ → tests/Fleet.FakeGh/bin/<Configuration>/<tfm>/fake-gh
        var testsOut = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var tfm = testsOut.Name;
        var configuration = testsOut.Parent!.Name;
        var testsDir = testsOut.Parent.Parent!.Parent!.Parent!.FullName;
        var candidate = Path.Combine(testsDir, "Fleet.FakeGh", "bin", configuration, tfm, "fake-gh");
        return File.Exists(candidate)
            ? candidate
            : throw new FileNotFoundException($"The fake gh was not built at {candidate}; build tests/Fleet.Tests (it references Fleet.FakeGh).");
    }
}
