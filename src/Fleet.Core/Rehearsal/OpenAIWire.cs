using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Rehearsal;

/// <summary>Writes OpenAI Responses API answers: SSE <c>response.created</c>, output items, <c>response.completed</c> with usage.</summary>
internal static class OpenAIWire
{
    public static async Task WriteAsync(HttpContext ctx, RehearsalStep step, RehearsalConversation conversation, long n, RehearsalIds ids, CancellationToken ct)
    {
        ctx.Response.Headers["x-request-id"] = ids.Request(n);
        if (step is FailStep fail)
        {
            await WriteErrorAsync(ctx, fail.Status, fail.ErrorType, fail.Message, ct);
            return;
        }

        if (step is LimitStep limit)
        {
            await WriteLimitAsync(ctx, limit, ct);
            return;
        }

        var id = ids.Response(n);
        var items = new List<JsonObject>();
        switch (step)
        {
            case TextStep t:
                items.Add(Message(ids.OutputMessage(n, 0), t.Text));
                break;
            case ToolStep tool:
                if (tool.Say is not null)
                {
                    items.Add(Message(ids.OutputMessage(n, 0), tool.Say));
                }

                items.Add(new JsonObject
                {
                    ["type"] = "function_call", ["id"] = ids.FunctionCall(n), ["call_id"] = ids.Call(n, conversation.Position),
                    ["name"] = tool.Name, ["arguments"] = tool.Input.ToJsonString(Wire.JsonOptions), ["status"] = "completed",
                });
                break;
            default:
                throw new InvalidOperationException(step.GetType().Name);
        }

        var u = step.Usage;
        var input = u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens;
        var usage = new JsonObject
        {
            ["input_tokens"] = input,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = u.CacheReadInputTokens },
            ["output_tokens"] = u.OutputTokens,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = u.ReasoningOutputTokens },
            ["total_tokens"] = input + u.OutputTokens,
        };

        JsonObject Response(string status, JsonArray output, JsonObject? usageOrNull) => new()
        {
            ["id"] = id, ["object"] = "response", ["status"] = status, ["model"] = conversation.Model,
            ["output"] = output, ["usage"] = usageOrNull,
        };

        var all = new JsonArray();
        foreach (var item in items)
        {
            all.Add(item.DeepClone());
        }

        if (!conversation.Stream)
        {
            await Wire.WriteJsonAsync(ctx, 200, Response("completed", all, usage), ct);
            return;
        }

        var sse = await Wire.StartSseAsync(ctx, ct);
        await sse.EventAsync("response.created", new JsonObject { ["type"] = "response.created", ["response"] = Response("in_progress", [], null) });
        for (var k = 0; k < items.Count; k++)
        {
            var item = items[k];
            var added = (JsonObject)item.DeepClone();
            added["status"] = "in_progress";
            if ((string?)item["type"] == "message")
            {
                added["content"] = new JsonArray();
            }

            await sse.EventAsync("response.output_item.added", new JsonObject { ["type"] = "response.output_item.added", ["output_index"] = k, ["item"] = added });
            if ((string?)item["type"] == "message")
            {
                var text = (string)item["content"]![0]!["text"]!;
                foreach (var part in Wire.Halves(text))
                {
                    await sse.EventAsync("response.output_text.delta", new JsonObject
                    {
                        ["type"] = "response.output_text.delta", ["item_id"] = item["id"]!.DeepClone(), ["output_index"] = k, ["content_index"] = 0, ["delta"] = part,
                    });
                }
            }

            await sse.EventAsync("response.output_item.done", new JsonObject { ["type"] = "response.output_item.done", ["output_index"] = k, ["item"] = item.DeepClone() });
        }

        await sse.EventAsync("response.completed", new JsonObject { ["type"] = "response.completed", ["response"] = Response("completed", all, usage) });
    }

    private static JsonObject Message(string id, string text) => new()
    {
        ["type"] = "message", ["id"] = id, ["role"] = "assistant", ["status"] = "completed",
        ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }),
    };

    /// <summary>
    /// The API's limit answers: a plan's usage limit is a 429 whose error is <c>usage_limit_reached</c> with
    /// <c>resets_at</c> (epoch seconds) and <c>resets_in_seconds</c>; a rate limit a 429 <c>rate_limit_exceeded</c>
    /// with <c>retry-after</c>; overload a 503 <c>server_overloaded</c>.
    /// </summary>
    private static Task WriteLimitAsync(HttpContext ctx, LimitStep limit, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        switch (limit.Shape)
        {
            case LimitShape.UsageLimit:
                var reset = limit.ResetsAt ?? now.AddHours(5);
                return Wire.WriteJsonAsync(ctx, 429, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["type"] = "usage_limit_reached",
                        ["message"] = "The usage limit has been reached",
                        ["plan_type"] = "plus",
                        ["resets_at"] = reset.ToUnixTimeSeconds(),
                        ["resets_in_seconds"] = Math.Max(0, (long)Math.Ceiling((reset - now).TotalSeconds)),
                    },
                }, ct);
            case LimitShape.RateLimit:
                if (limit.ResetsAt is { } retry)
                {
                    ctx.Response.Headers["retry-after"] = Wire.SecondsUntil(retry, now);
                }

                return Wire.WriteJsonAsync(ctx, 429, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["message"] = "Rate limit reached for requests. Please try again later.",
                        ["type"] = "requests",
                        ["code"] = "rate_limit_exceeded",
                    },
                }, ct);
            default:
                return Wire.WriteJsonAsync(ctx, 503, new JsonObject
                {
                    ["error"] = new JsonObject { ["message"] = "The server is overloaded. Please try again later.", ["type"] = "server_error", ["code"] = "server_overloaded" },
                }, ct);
        }
    }

    public static Task WriteErrorAsync(HttpContext ctx, int status, string type, string message, CancellationToken ct) =>
        Wire.WriteJsonAsync(ctx, status, new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = null } }, ct);
}
