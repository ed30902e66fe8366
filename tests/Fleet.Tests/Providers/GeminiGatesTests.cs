using System.Text.Json.Nodes;
using Fleet.Providers;
using Fleet.Spec;
using Fleet.Streams;

namespace Fleet.Tests.Providers;

/// <summary>How a gemini ACP permission request reads to fleet's rules, and what a permission mode lets run unasked.</summary>
public sealed class GeminiGatesTests
{
    [Theory]
    [InlineData("""{"kind":"execute","title":"rm -rf ../outside","content":[{"type":"content","content":{"type":"text","text":"[current working directory /w]"}}]}""", "Bash", "command", "rm -rf ../outside", 0)]
    [InlineData("""{"kind":"edit","title":"Writing to a.md","content":[{"type":"diff","path":"/w/a.md","oldText":"","newText":"x","_meta":{"kind":"add"}}],"locations":[{"path":"/w/a.md"}]}""", "Write", "file_path", "/w/a.md", 0)]
    [InlineData("""{"kind":"edit","title":"a.md: x => y","content":[{"type":"diff","path":"/w/a.md","oldText":"x","newText":"y","_meta":{"kind":"modify"}}]}""", "Edit", "file_path", "/w/a.md", 0)]
    [InlineData("""{"kind":"move","title":"mv","locations":[{"path":"/w/a"},{"path":"/w/b"}]}""", "Edit", "file_path", "/w/a", 1)]
    [InlineData("""{"kind":"read","title":"a.md","locations":[{"path":"/w/a.md"}]}""", "Read", "file_path", "/w/a.md", 0)]
    [InlineData("""{"kind":"fetch","title":"https://example.com/x"}""", "WebFetch", "url", "https://example.com/x", 0)]
    [InlineData("""{"kind":"think","title":"delegate to an agent"}""", "Think", "description", "delegate to an agent", 0)]
    [InlineData("""{"title":"something"}""", "Other", "description", "something", 0)]
    public void A_tool_call_reads_as_the_tool_and_input_the_rules_match(string toolCall, string tool, string field, string value, int alsoFor)
    {
        var request = GeminiGates.Request(JsonNode.Parse(toolCall) as JsonObject);

        request.Tool.ShouldBe(tool);
        request.Input[field]!.GetValue<string>().ShouldBe(value);
        request.AlsoFor.Count.ShouldBe(alsoFor);
    }

    [Theory]
    [InlineData(PermissionMode.AcceptEdits, "edit", "/w/a.md", "permission_mode acceptEdits")]
    [InlineData(PermissionMode.AcceptEdits, "edit", "src/b.md", "permission_mode acceptEdits")]
    [InlineData(PermissionMode.AcceptEdits, "move", "/w/a", "permission_mode acceptEdits")]
    [InlineData(PermissionMode.AcceptEdits, "edit", "/etc/hosts", null)]
    [InlineData(PermissionMode.AcceptEdits, "edit", "/w/../etc/hosts", null)]
    [InlineData(PermissionMode.AcceptEdits, "edit", "/wx/a.md", null)]
    [InlineData(PermissionMode.AcceptEdits, "execute", "touch a", null)]
    [InlineData(PermissionMode.AcceptEdits, "fetch", "https://example.com", null)]
    [InlineData(PermissionMode.Default, "edit", "/w/a.md", null)]
    [InlineData(PermissionMode.Manual, "execute", "touch a", null)]
    [InlineData(PermissionMode.Plan, "edit", "/w/a.md", null)]
    [InlineData(PermissionMode.BypassPermissions, "execute", "rm -rf /", "permission_mode bypassPermissions")]
    [InlineData(PermissionMode.BypassPermissions, "edit", "/etc/hosts", "permission_mode bypassPermissions")]
    [InlineData(PermissionMode.DontAsk, "fetch", "https://example.com", "permission_mode dontAsk")]
    [InlineData(PermissionMode.Auto, "edit", "/w/a.md", "permission_mode auto")]
    public void A_permission_mode_lets_run_unasked_only_what_it_would_run_unasked(PermissionMode mode, string kind, string target, string? rule)
    {
        var toolCall = new JsonObject { ["kind"] = kind, ["title"] = target };
        if (kind is "edit" or "move")
        {
            toolCall["locations"] = new JsonArray(new JsonObject { ["path"] = target });
        }

        (GeminiGates.UnaskedBy(mode, GeminiGates.Request(toolCall), "/w")?.Rule).ShouldBe(rule);
    }

    [Theory]
    [InlineData(PermissionMode.Plan, "plan")]
    [InlineData(PermissionMode.AcceptEdits, "default")]
    [InlineData(PermissionMode.BypassPermissions, "default")]
    [InlineData(PermissionMode.Manual, "default")]
    public void Gemini_asks_about_everything_but_in_plan_mode_so_fleet_decides(PermissionMode mode, string approvalMode) =>
        GeminiGates.ApprovalMode(mode).ShouldBe(approvalMode);

    [Theory]
    [InlineData("""[{"optionId":"proceed_always","kind":"allow_always"},{"optionId":"proceed_once","kind":"allow_once"},{"optionId":"cancel","kind":"reject_once"}]""", "allow_once", "proceed_once")]
    [InlineData("""[{"optionId":"proceed_once","kind":"allow_once"},{"optionId":"no","kind":"reject_once"}]""", "reject_once", "no")]
    [InlineData("""[]""", "allow_once", "proceed_once")]
    [InlineData("""[]""", "reject_once", "cancel")]
    public void The_answer_is_the_option_gemini_offered_of_that_kind(string options, string kind, string expected) =>
        GeminiGates.Option(JsonNode.Parse(options) as JsonArray, kind).ShouldBe(expected);

    [Theory]
    [InlineData("""{"toolCallId":"run_shell_command__call_rehearsal_1_p0","kind":"execute"}""", "run_shell_command")]
    [InlineData("""{"toolCallId":"write_file-1765000000000-3","kind":"edit"}""", "write_file")]
    [InlineData("""{"toolCallId":"mcp-server-tool-1765000000000-3","kind":"other"}""", "mcp-server-tool")]
    [InlineData("""{"toolCallId":"abc","kind":"edit"}""", "edit")]
    [InlineData("""{}""", "?")]
    public void A_tool_calls_name_comes_from_its_call_id_else_its_kind(string toolCall, string name)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(toolCall);
        GeminiAcp.ToolName(doc.RootElement).ShouldBe(name);
    }
}
