using System.Text.Json.Nodes;
using Fleet.Forge;
using Fleet.Rehearsal;

namespace Fleet.Team;

/// <summary>
/// The architect <c>fleet team plan</c> asks: the real agent, or in a rehearsal the same agent against fleet's scripted
/// endpoint on 127.0.0.1, which this starts for the one call and stops after it.
/// </summary>
/// <param name="model">The architect's claude model; null: claude's default.</param>
/// <param name="rehearse">Run against the scripted endpoint: no key, no spend.</param>
/// <param name="script">The rehearsal's script (JSON); null: every issue touches nothing and needs nothing.</param>
/// <param name="stateDir">Where the planning keeps its files (the rehearsal's state under <c>rehearsal/</c>).</param>
public sealed class TeamArchitect(string repository, string stateDir, string? model, bool rehearse, string? script)
{
    public async Task<ArchitectResult> RunAsync(ArchitectRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request with { Model = model };
        if (!rehearse)
        {
            return await ArchitectRunner.RunAsync(request, cancellationToken);
        }

        var rehearsalScript = script is null ? DefaultScript(request.Issues) : RehearsalScript.Parse(script);
        await using var server = await RehearsalServer.StartAsync(new RehearsalOptions { Port = 0, Script = rehearsalScript }, cancellationToken);
        return await ArchitectRunner.RunAsync(request with
        {
            Rehearsal = new ArchitectRehearsal(server.BaseUrl, TeamName(repository), Path.Combine(stateDir, "rehearsal")),
        }, cancellationToken);
    }

    /// <summary>The rehearsal key's team name: the repository folder's name as an id.</summary>
    public static string TeamName(string repository) =>
        new string([.. Path.GetFileName(repository).ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-')]).Trim('-') is { Length: > 0 } name ? name : "team";

    /// <summary>The default architect rehearsal: every issue touches nothing and needs nothing (one wave).</summary>
    private static RehearsalScript DefaultScript(IReadOnlyList<ForgeIssue> issues)
    {
        var footprints = new JsonArray();
        foreach (var issue in issues)
        {
            footprints.Add((JsonNode)new JsonObject
            {
                ["issue"] = issue.Number, ["files"] = new JsonArray(), ["folders"] = new JsonArray(), ["migrations"] = new JsonArray(), ["needs"] = new JsonArray(),
                ["why"] = "rehearsal: no footprint",
            });
        }

        return new RehearsalScript([new RehearsalRule([new StructuredOutputTurn(new JsonObject { ["footprints"] = footprints })], Worker: "architect")]);
    }
}
