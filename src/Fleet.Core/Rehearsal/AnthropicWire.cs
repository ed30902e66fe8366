using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Rehearsal;

/// <summary>Writes Anthropic Messages API answers: SSE (<c>message_start</c> … <c>message_stop</c>) or one JSON message.</summary>
internal static class AnthropicWire
{
    public static async Task WriteAsync(HttpContext ctx, RehearsalStep step, RehearsalConversation conversation, long n, RehearsalIds ids, CancellationToken ct)
    {
        ctx.Response.Headers["request-id"] = ids.Request(n);
        if (step is FailStep fail)
        {
            await Wire.WriteJsonAsync(ctx, fail.Status, new JsonObject
            {
                ["type"] = "error",
                ["error"] = new JsonObject { ["type"] = fail.ErrorType, ["message"] = fail.Message },
            }, ct);
            return;
        }

        if (step is LimitStep limit)
        {
            await WriteLimitAsync(ctx, limit, ct);
            return;
        }

        var id = ids.Message(n);
        var blocks = new List<JsonObject>();
        string stopReason;
        switch (step)
        {
            case TextStep t:
                blocks.Add(new JsonObject { ["type"] = "text", ["text"] = t.Text });
                stopReason = "end_turn";
                break;
            case ToolStep tool:
                if (tool.Say is not null)
                {
                    blocks.Add(new JsonObject { ["type"] = "text", ["text"] = tool.Say });
                }

                blocks.Add(new JsonObject { ["type"] = "tool_use", ["id"] = ids.ToolUse(n, blocks.Count, conversation.Position), ["name"] = tool.Name, ["input"] = tool.Input.DeepClone() });
                stopReason = "tool_use";
                break;
            default:
                throw new InvalidOperationException(step.GetType().Name);
        }

        var u = step.Usage;
        JsonObject Usage(long outputTokens) => new()
        {
            ["input_tokens"] = u.InputTokens,
            ["cache_creation_input_tokens"] = u.CacheCreationInputTokens,
            ["cache_read_input_tokens"] = u.CacheReadInputTokens,
            ["output_tokens"] = outputTokens,
            ["cache_creation"] = new JsonObject { ["ephemeral_5m_input_tokens"] = u.CacheCreationInputTokens, ["ephemeral_1h_input_tokens"] = 0 },
            ["service_tier"] = "standard",
        };

        if (!conversation.Stream)
        {
            var content = new JsonArray();
            foreach (var b in blocks)
            {
                content.Add((JsonNode?)b);
            }

            await Wire.WriteJsonAsync(ctx, 200, new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = conversation.Model,
                ["content"] = content, ["stop_reason"] = stopReason, ["stop_sequence"] = null, ["usage"] = Usage(u.OutputTokens),
            }, ct);
            return;
        }

        var sse = await Wire.StartSseAsync(ctx, ct);
        // As the real API does: message_start carries the input side and a token of output; message_delta the final output.
        await sse.EventAsync("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = conversation.Model,
                ["content"] = new JsonArray(), ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = Usage(Math.Min(1, u.OutputTokens)),
            },
        });
        await sse.EventAsync("ping", new JsonObject { ["type"] = "ping" });
        for (var k = 0; k < blocks.Count; k++)
        {
            var b = blocks[k];
            if ((string?)b["type"] == "text")
            {
                var text = (string)b["text"]!;
                await sse.EventAsync("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = k, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = string.Empty } });
                foreach (var part in Wire.Halves(text))
                {
                    await sse.EventAsync("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = k, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = part } });
                }
            }
            else
            {
                var input = b["input"]!.ToJsonString(Wire.JsonOptions);
                await sse.EventAsync("content_block_start", new JsonObject
                {
                    ["type"] = "content_block_start", ["index"] = k,
                    ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = b["id"]!.DeepClone(), ["name"] = b["name"]!.DeepClone(), ["input"] = new JsonObject() },
                });
                foreach (var part in Wire.Halves(input))
                {
                    await sse.EventAsync("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = k, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = part } });
                }
            }

            await sse.EventAsync("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = k });
        }

        await sse.EventAsync("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = u.OutputTokens },
        });
        await sse.EventAsync("message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    /// <summary>
    /// The API's limit answers: a plan's usage limit is a 429 whose <c>anthropic-ratelimit-unified-*</c> headers say
    /// it was rejected and when it resets (epoch seconds); a rate limit a 429 with <c>retry-after</c>; overload a 529.
    /// </summary>
    private static Task WriteLimitAsync(HttpContext ctx, LimitStep limit, CancellationToken ct)
    {
        var headers = ctx.Response.Headers;
        var now = DateTimeOffset.UtcNow;
        switch (limit.Shape)
        {
            case LimitShape.UsageLimit:
                var reset = limit.ResetsAt ?? now.AddHours(5);
                headers["anthropic-ratelimit-unified-status"] = "rejected";
                headers["anthropic-ratelimit-unified-reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                headers["anthropic-ratelimit-unified-representative-claim"] = "five_hour";
                headers["anthropic-ratelimit-unified-5h-status"] = "rejected";
                headers["anthropic-ratelimit-unified-5h-reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                headers["retry-after"] = Wire.SecondsUntil(reset, now);
                return WriteErrorAsync(ctx, 429, "rate_limit_error", "This request would exceed your account's rate limit. Please try again later.", ct);
            case LimitShape.RateLimit:
                if (limit.ResetsAt is { } retry)
                {
                    headers["retry-after"] = Wire.SecondsUntil(retry, now);
                }

                return WriteErrorAsync(ctx, 429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.", ct);
            default:
                return WriteErrorAsync(ctx, 529, "overloaded_error", "Overloaded", ct);
        }
    }

    public static Task WriteErrorAsync(HttpContext ctx, int status, string type, string message, CancellationToken ct) =>
        Wire.WriteJsonAsync(ctx, status, new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } }, ct);
}
