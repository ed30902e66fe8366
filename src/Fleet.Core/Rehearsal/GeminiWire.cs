using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Rehearsal;

/// <summary>
/// Writes Gemini API answers (<c>POST /v1beta/models/M:streamGenerateContent?alt=sse</c>): SSE <c>data:</c> lines, each a
/// <c>GenerateContentResponse</c> chunk; the last one carries <c>finishReason</c> and <c>usageMetadata</c>. Errors are
/// Google's <c>{"error":{"code","message","status"}}</c>.
/// </summary>
internal static class GeminiWire
{
    public const string StreamMethod = "streamGenerateContent";
    public const string GenerateMethod = "generateContent";
    public const string CountTokensMethod = "countTokens";

    private const string ModelsPrefix = "/v1beta/models/";

    /// <summary>The model of a <c>/v1beta/models/M:method</c> path; null when the path is not that method's.</summary>
    public static string? ModelOf(string path, string method)
    {
        var suffix = ":" + method;
        return path.StartsWith(ModelsPrefix, StringComparison.Ordinal) && path.EndsWith(suffix, StringComparison.Ordinal) && path.Length > ModelsPrefix.Length + suffix.Length
            ? path[ModelsPrefix.Length..^suffix.Length]
            : null;
    }

    public static async Task WriteAsync(HttpContext ctx, RehearsalStep step, RehearsalConversation conversation, long n, RehearsalIds ids, CancellationToken ct)
    {
        switch (step)
        {
            case FailStep fail:
                await WriteErrorAsync(ctx, fail.Status, fail.Message, ct);
                return;
            case LimitStep limit:
                await WriteLimitAsync(ctx, limit, ct);
                return;
        }

        var chunks = new List<JsonArray>();
        switch (step)
        {
            case TextStep t:
                chunks.AddRange(Wire.Halves(t.Text).Select(part => new JsonArray(new JsonObject { ["text"] = part })));
                break;
            case ToolStep tool:
                if (tool.Say is not null)
                {
                    chunks.Add(new JsonArray(new JsonObject { ["text"] = tool.Say }));
                }

                chunks.Add(new JsonArray(new JsonObject
                {
                    ["functionCall"] = new JsonObject { ["id"] = ids.Call(n, conversation.Position), ["name"] = tool.Name, ["args"] = tool.Input.DeepClone() },
                }));
                break;
            default:
                throw new InvalidOperationException(step.GetType().Name);
        }

        var u = step.Usage;
        var prompt = u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens;
        var usage = new JsonObject
        {
            ["promptTokenCount"] = prompt,
            ["cachedContentTokenCount"] = u.CacheReadInputTokens,
            ["candidatesTokenCount"] = u.OutputTokens - u.ReasoningOutputTokens,
            ["thoughtsTokenCount"] = u.ReasoningOutputTokens,
            ["totalTokenCount"] = prompt + u.OutputTokens,
        };
        _ = await Wire.StartSseAsync(ctx, ct);
        for (var k = 0; k < chunks.Count; k++)
        {
            var candidate = new JsonObject { ["content"] = new JsonObject { ["role"] = "model", ["parts"] = chunks[k] }, ["index"] = 0 };
            var chunk = new JsonObject { ["candidates"] = new JsonArray(candidate), ["modelVersion"] = conversation.Model, ["responseId"] = ids.Response(n) };
            if (k == chunks.Count - 1)
            {
                candidate["finishReason"] = "STOP";
                chunk["usageMetadata"] = usage;
            }

            await DataAsync(ctx, chunk, ct);
        }

    }

    /// <summary>The CLI's side calls (its model router asks which model suits a prompt): a plain JSON answer, never scripted.</summary>
    public static Task WriteUtilityAsync(HttpContext ctx, string model, CancellationToken ct)
    {
        var text = """{"complexity_reasoning":"rehearsal","complexity_score":50}""";
        return Wire.WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["candidates"] = new JsonArray(new JsonObject
            {
                ["content"] = new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(new JsonObject { ["text"] = text }) },
                ["finishReason"] = "STOP",
                ["index"] = 0,
            }),
            ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = 0, ["candidatesTokenCount"] = 0, ["totalTokenCount"] = 0 },
            ["modelVersion"] = model,
        }, ct);
    }

    public static Task WriteErrorAsync(HttpContext ctx, int status, string message, CancellationToken ct) =>
        Wire.WriteJsonAsync(ctx, status, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = StatusName(status) },
        }, ct);

    /// <summary>A limit: 429 <c>RESOURCE_EXHAUSTED</c> with a <c>RetryInfo</c> delay, or 503 <c>UNAVAILABLE</c> when overloaded.</summary>
    private static Task WriteLimitAsync(HttpContext ctx, LimitStep limit, CancellationToken ct)
    {
        if (limit.Shape == LimitShape.Overloaded)
        {
            return WriteErrorAsync(ctx, 503, "The model is overloaded. Please try again later.", ct);
        }

        var now = DateTimeOffset.UtcNow;
        var delay = Wire.SecondsUntil(limit.ResetsAt ?? now.AddHours(limit.Shape == LimitShape.UsageLimit ? 5 : 0), now);
        return Wire.WriteJsonAsync(ctx, 429, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = 429,
                ["message"] = limit.Shape == LimitShape.UsageLimit ? "You exceeded your current quota, please check your plan and billing details." : "Resource has been exhausted (e.g. check quota).",
                ["status"] = "RESOURCE_EXHAUSTED",
                ["details"] = new JsonArray(new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = delay + "s" }),
            },
        }, ct);
    }

    private static string StatusName(int status) => status switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 or 529 => "UNAVAILABLE",
        _ => "INTERNAL",
    };

    private static async Task DataAsync(HttpContext ctx, JsonObject data, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes($"data: {data.ToJsonString(Wire.JsonOptions)}\r\n\r\n");
        await ctx.Response.Body.WriteAsync(bytes, ct);
        await ctx.Response.Body.FlushAsync(ct);
    }
}
