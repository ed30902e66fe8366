using System.Text.Json.Nodes;

namespace Fleet.Team;

/// <summary>
/// The rehearsal script a squad plays when the team run brings none: the developer writes a file in its worktree and
/// commits it, the SDET writes its report, the reviewer approves. Real CLIs, real git, real pull-request records.
/// </summary>
public static class TeamRehearsalScript
{
    /// <summary>
    /// Filled in with the squad's issue (<c>issue-&lt;n&gt;</c>) when the script is written into a squad: a commit subject
    /// names the issue, while <c>{fleet}</c> is the squad's long fleet name (repository and run too), made for tmux.
    /// </summary>
    public const string SquadPlaceholder = "{squad}";

    /// <summary>The script as a squad plays it: <see cref="SquadPlaceholder"/> replaced by the squad's issue.</summary>
    public static string ForSquad(string script, int issue)
    {
        ArgumentNullException.ThrowIfNull(script);
        return script.Replace(SquadPlaceholder, TeamLayout.SquadName(issue), StringComparison.Ordinal);
    }

    public static string Json()
    {
        var usage = new JsonObject { ["input_tokens"] = 1200, ["output_tokens"] = 80, ["cache_creation_input_tokens"] = 300, ["cache_read_input_tokens"] = 2000 };
        JsonObject Turn(JsonObject turn)
        {
            turn["usage"] = usage.DeepClone();
            return turn;
        }

        var rules = new JsonArray(
        [
            new JsonObject
            {
                ["worker"] = SquadFleet.Developer,
                ["turns"] = new JsonArray(
                [
                    Turn(new JsonObject { ["type"] = "write_file", ["path"] = "{squad}.txt", ["content"] = "the change for {squad}, iteration {iteration}\n" }),
                    Turn(new JsonObject { ["type"] = "shell", ["command"] = "git add -A && git commit -q -m \"{squad}: the change, iteration {iteration}\"", ["say"] = "Committing." }),
                    Turn(new JsonObject { ["type"] = "text", ["text"] = "Done: committed the change." }),
                ]),
            },
            new JsonObject
            {
                ["worker"] = SquadFleet.Sdet,
                ["turns"] = new JsonArray(
                [
                    Turn(new JsonObject { ["type"] = "write_file", ["path"] = "iterations/{iteration}/sdet.md", ["content"] = "SDET report for {squad}, iteration {iteration}: built it and ran it like a user; it works.\n" }),
                    Turn(new JsonObject { ["type"] = "text", ["text"] = "Report written." }),
                ]),
            },
            new JsonObject
            {
                ["worker"] = SquadFleet.Reviewer,
                ["turns"] = new JsonArray(
                [
                    Turn(new JsonObject { ["type"] = "write_file", ["path"] = "iterations/{iteration}/review.md", ["content"] = "verdict: lgtm\n\nRehearsal review of {squad}: I tried to break it and could not.\n" }),
                    Turn(new JsonObject { ["type"] = "text", ["text"] = "Review written: verdict lgtm." }),
                ]),
            },
        ]);
        return new JsonObject { ["rules"] = rules }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
