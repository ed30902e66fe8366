using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Forge;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.Rehearsal;
using Fleet.Streams;
using Fleet.Worktrees;

namespace Fleet.Team;

/// <summary>Runs the architect against fleet's rehearsal endpoint instead of a paid model.</summary>
/// <param name="Endpoint">The endpoint, <see cref="RehearsalServer.BaseUrl"/>.</param>
/// <param name="TeamName">Names the key <c>rehearsal:&lt;team&gt;:architect:1</c> the script's rules match.</param>
/// <param name="StateDir">A folder of this run's own: claude's config home and HOME are made inside it.</param>
public sealed record ArchitectRehearsal(Uri Endpoint, string TeamName, string StateDir);

/// <summary>One architect run: the repository, the issues in scope and what the brief carries besides.</summary>
public sealed record ArchitectRequest
{
    /// <summary>The repository (a git work tree): claude's working directory and the source of the file list.</summary>
    public required string RepositoryDirectory { get; init; }

    /// <summary>The issues in scope, whole (body and comments); the answer must cover exactly these.</summary>
    public required IReadOnlyList<ForgeIssue> Issues { get; init; }

    /// <summary>Where claude's raw output (its stream-json lines) is kept, for the flight recorder and for a person reading an error.</summary>
    public required string RawOutputPath { get; init; }

    public IReadOnlyList<string> SharedFolders { get; init; } = [];

    public string? Doctrine { get; init; }

    public string? RetroSummary { get; init; }

    /// <summary>Claude's <c>--model</c>; null: the CLI's default.</summary>
    public string? Model { get; init; }

    /// <summary>Claude's <c>--max-budget-usd</c>; null: no budget.</summary>
    public decimal? MaxBudgetUsd { get; init; }

    /// <summary>The session id to give claude; null: a new one.</summary>
    public string? SessionId { get; init; }

    public ArchitectRehearsal? Rehearsal { get; init; }

    /// <summary>The claude executable; null: <see cref="AgentCliLocator"/> finds the pinned one or the one on PATH.</summary>
    public string? ClaudeExecutable { get; init; }

    /// <summary>More changes to claude's environment (a value sets, null removes), applied last.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>What the architect said: a checked footprint per issue in scope, with the cost and session of the run.</summary>
/// <param name="Footprints">One per issue in scope, ordered by issue number; paths as the architect gave them.</param>
/// <param name="Why">Per issue, the architect's quoted evidence for its needs (empty when it needs nothing).</param>
/// <param name="CostUsd">Claude's <c>total_cost_usd</c>.</param>
/// <param name="SessionId">Claude's session (its transcript is <c>&lt;session&gt;.jsonl</c>).</param>
/// <param name="RawOutputPath">Claude's raw output, as kept.</param>
/// <param name="Argv">The command line run (argv[0] as resolved).</param>
public sealed record ArchitectResult(
    IReadOnlyList<IssueFootprint> Footprints,
    IReadOnlyDictionary<int, string> Why,
    decimal? CostUsd,
    string SessionId,
    string RawOutputPath,
    IReadOnlyList<string> Argv);

/// <summary>The architect gave no usable answer; the message has claude's own words and the path of its raw output.</summary>
public sealed class ArchitectException : Exception
{
    public ArchitectException()
    {
    }

    public ArchitectException(string message)
        : base(message)
    {
    }

    public ArchitectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ArchitectException(string message, string? rawOutputPath, Exception? innerException = null)
        : base(rawOutputPath is null ? message : $"{message} (raw output: {rawOutputPath})", innerException)
    {
        RawOutputPath = rawOutputPath;
    }

    /// <summary>Claude's raw output, when the run got that far.</summary>
    public string? RawOutputPath { get; }
}

/// <summary>
/// Runs the architect: the real <c>claude -p</c> once, read-only (<c>--permission-mode plan</c>), in the repository,
/// with the brief on stdin and <see cref="FootprintSchema"/> as <c>--json-schema</c>, and reads the footprints from
/// the <c>structured_output</c> of its <c>result</c> (see docs/team-architect.md for how claude 2.1.197 does it).
/// </summary>
public static class ArchitectRunner
{
    /// <summary>The rehearsal key's worker id: <c>rehearsal:&lt;team&gt;:architect:1</c>.</summary>
    public const string RehearsalWorker = "architect";

    private const int StderrKept = 16 * 1024;

    /// <summary>
    /// The argv (argv[0] <c>claude</c>). stream-json rather than json: the raw output then also records every file the
    /// architect read, and the flight recorder reads it like a worker's log; its last line is the same result object.
    /// </summary>
    public static IReadOnlyList<string> BuildArgv(ArchitectRequest request, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var argv = new List<string>
        {
            "claude", "-p", "--output-format", "stream-json", "--verbose",
            "--json-schema", FootprintSchema.Json,
            "--permission-mode", "plan",
            "--session-id", sessionId,
        };
        if (request.Model is { } model)
        {
            argv.AddRange(["--model", model]);
        }

        if (request.MaxBudgetUsd is { } budget)
        {
            argv.AddRange(["--max-budget-usd", budget.ToString(CultureInfo.InvariantCulture)]);
        }

        return argv;
    }

    public static async Task<ArchitectResult> RunAsync(ArchitectRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Issues.Count == 0)
        {
            throw new ArgumentException("the architect needs at least one issue in scope", nameof(request));
        }

        var repo = Path.GetFullPath(request.RepositoryDirectory);
        var files = await ListFilesAsync(repo, cancellationToken);
        var prompt = ArchitectPrompt.Build(request.Issues, files, request.SharedFolders, request.Doctrine, request.RetroSummary);
        var claude = request.ClaudeExecutable ?? AgentCliLocator.Find("claude")
            ?? throw new ArchitectException(AgentCliLocator.MissingMessage("claude"));
        var argv = BuildArgv(request, request.SessionId ?? Guid.NewGuid().ToString()).ToList();
        argv[0] = claude;

        var rawPath = Path.GetFullPath(request.RawOutputPath);
        PrivateFiles.CreateDirectoryFor(rawPath);
        var stderr = new StringBuilder();
        AgentProcessResult run;
        await using (var raw = PrivateFiles.Open(rawPath, FileMode.Create, FileAccess.Write, FileShare.Read))
        {
            var options = new AgentProcessOptions
            {
                Argv = argv,
                WorkingDirectory = repo,
                Environment = Environment(request),
                Stdin = StdinMode.HeldOpen,
                Stdout = (chunk, ct) => raw.WriteAsync(chunk, ct),
                Stderr = (chunk, _) =>
                {
                    lock (stderr)
                    {
                        stderr.Append(Encoding.UTF8.GetString(chunk.Span));
                        if (stderr.Length > StderrKept)
                        {
                            stderr.Remove(0, stderr.Length - StderrKept);
                        }
                    }

                    return ValueTask.CompletedTask;
                },
                TimeProvider = request.TimeProvider,
            };
            run = await RunClaudeAsync(options, prompt, cancellationToken);
        }

        string tail;
        lock (stderr)
        {
            tail = stderr.ToString().Trim();
        }

        return Read(request, rawPath, run, tail, argv);
    }

    private static async Task<AgentProcessResult> RunClaudeAsync(AgentProcessOptions options, string prompt, CancellationToken cancellationToken)
    {
        AgentProcess agent;
        try
        {
            agent = await AgentProcess.StartAsync(options, cancellationToken);
        }
        catch (AgentStartException e)
        {
            throw new ArchitectException($"architect: {e.Message}", e);
        }

        await using (agent)
        {
            try
            {
                try
                {
                    await using var stdin = agent.StandardInput!;
                    await stdin.WriteAsync(Encoding.UTF8.GetBytes(prompt), cancellationToken);
                }
                catch (IOException)
                {
                    // Claude ended before reading its brief (a refused flag, say); its result or stderr says why.
                }

                return await agent.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // A person cancelled the plan: the architect started for it ends with it.
                await agent.StopAsync(StopLadder.Default, CancellationToken.None);
                throw;
            }
        }
    }

    private static ArchitectResult Read(ArchitectRequest request, string rawPath, AgentProcessResult run, string stderr, IReadOnlyList<string> argv)
    {
        if (!TryReadResult(rawPath, out var result, out var structured))
        {
            if (run.OutputError is { } lost)
            {
                throw new ArchitectException($"architect: claude's output could not be kept: {lost.Message}", rawPath, lost);
            }

            var exit = run.Exit;
            var how = exit.SignalName is { } signal ? $"was killed by {signal}" : string.Create(CultureInfo.InvariantCulture, $"exited with code {exit.ExitCode}");
            var said = stderr.Length > 0 ? ": " + LastLines(stderr, 5) : string.Empty;
            throw new ArchitectException($"architect: claude {how} without a result{said}", rawPath);
        }

        if (result.IsError)
        {
            // An API error's subtype says "success"; its status is what tells it apart.
            var kind = result.ApiErrorStatus is { } s ? string.Create(CultureInfo.InvariantCulture, $"API status {s}") : result.Subtype;
            var words = result.ResultText is { Length: > 0 } text ? text
                : result.Errors.Count > 0 ? string.Join("; ", result.Errors)
                : stderr.Length > 0 ? LastLines(stderr, 5) : "no message";
            throw new ArchitectException($"architect: claude failed ({kind}): {words}", rawPath);
        }

        if (structured is not { } value)
        {
            var said = result.ResultText is { Length: > 0 } text ? $"; its last words: {Shorten(text, 300)}" : string.Empty;
            throw new ArchitectException($"architect: claude ended without structured output (the model never called StructuredOutput with a valid answer){said}", rawPath);
        }

        var answer = ArchitectAnswer.Read(value, [.. request.Issues.Select(i => i.Number)], out var problems);
        if (answer is null)
        {
            throw new ArchitectException($"architect: the answer does not fit the issues in scope: {string.Join("; ", problems)}", rawPath);
        }

        return new ArchitectResult(answer.Footprints, answer.Why, result.TotalCostUsd, result.SessionId ?? string.Empty, rawPath, argv);
    }

    /// <summary>The last <c>result</c> line of the raw output, and its <c>structured_output</c> when it has one.</summary>
    private static bool TryReadResult(string rawPath, out ClaudeResult result, out JsonElement? structured)
    {
        result = null!;
        structured = null;
        var lines = File.ReadAllLines(rawPath);
        var events = new List<AgentEvent>();
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            if (!lines[i].Contains("\"result\"", StringComparison.Ordinal))
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(lines[i]);
            }
            catch (JsonException)
            {
                continue;
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueEquals("result") is false)
                {
                    continue;
                }

                events.Clear();
                ClaudeStreamParser.Parse(root, events);
                if (events.OfType<ClaudeResult>().LastOrDefault() is not { } parsed)
                {
                    continue;
                }

                result = parsed;
                if (root.TryGetProperty("structured_output", out var value) && value.ValueKind != JsonValueKind.Null)
                {
                    structured = value.Clone();
                }

                return true;
            }
        }

        return false;
    }

    private static async Task<IReadOnlyList<string>> ListFilesAsync(string repo, CancellationToken cancellationToken)
    {
        try
        {
            var output = await GitCli.Default.OutputAsync(repo, ["ls-files", "-z"], cancellationToken);
            return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (GitException e)
        {
            throw new ArchitectException($"architect: cannot list the repository's files: {e.Message}", e);
        }
    }

    private static Dictionary<string, string?> Environment(ArchitectRequest request)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["NO_COLOR"] = "1" };
        if (request.Rehearsal is { } rehearsal)
        {
            var key = RehearsalKey.Create(rehearsal.TeamName, RehearsalWorker, 1).ToString();
            var env = RehearsalEnvironment.For(RehearsalProvider.Claude, rehearsal.Endpoint, key, rehearsal.StateDir);
            env.WriteFiles();
            foreach (var (name, value) in env.Changes())
            {
                environment[name] = value;
            }

            // A rehearsal never reads or writes the person's own agent settings.
            var home = Path.Combine(rehearsal.StateDir, "home");
            Directory.CreateDirectory(home);
            environment["HOME"] = home;
        }

        foreach (var (name, value) in request.Environment)
        {
            environment[name] = value;
        }

        return environment;
    }

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
