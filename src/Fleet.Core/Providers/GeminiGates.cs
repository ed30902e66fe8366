using Fleet.Spec;

namespace Fleet.Providers;

/// <summary>
/// What fleet's gates reach of a gemini worker, said once for <c>fleet doctor</c>, <c>fleet launch --dry-run</c> and the
/// README. Gemini CLI 0.61.0 in headless mode (<c>-p</c>) never asks: a tool its <c>--approval-mode</c> would ask about
/// is not offered to the model at all (a call to it is answered <c>tool_not_registered</c>). Permission requests reach a
/// host only in ACP mode (<c>--acp</c>), which fleet does not drive yet, so fleet's rules and inbox do not see gemini's tools.
/// </summary>
public static class GeminiGates
{
    /// <summary>One line for <c>fleet doctor</c>.</summary>
    public const string Summary =
        "gemini workers run headless (gemini -p): fleet's gates and inbox do not reach them; --approval-mode decides which tools the model is given";

    /// <summary>What a gemini worker under <paramref name="mode"/> can and cannot do, for <c>fleet launch --dry-run</c>.</summary>
    public static string Describe(PermissionMode mode) => ProviderCatalog.GeminiApprovalMode(mode) switch
    {
        "yolo" => "--approval-mode yolo runs every tool call, shell commands included, with no gate and no inbox",
        "plan" => "--approval-mode plan offers read-only tools; nothing is written or run",
        "default" => "--approval-mode default offers read-only tools only (headless gemini drops the tools it would ask about): no file is written, no shell command runs",
        _ => "--approval-mode auto_edit writes and edits files without a gate; shell commands are not offered (headless gemini drops the tools it would ask about)",
    };
}
