using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Rehearsal;

/// <summary>HTTP plumbing shared by both protocols.</summary>
internal static class Wire
{
    /// <summary>Readable JSON on the wire and in logs: no \u0027 for every quote (still valid JSON for the CLIs).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteJsonAsync(HttpContext ctx, int status, JsonNode body, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(JsonOptions));
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ct);
    }

    public static async Task<SseWriter> StartSseAsync(HttpContext ctx, CancellationToken ct)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        await ctx.Response.StartAsync(ct);
        return new SseWriter(ctx.Response.Body, ct);
    }

    /// <summary>A <c>retry-after</c> value: whole seconds from <paramref name="now"/> to <paramref name="at"/>, at least 0.</summary>
    public static string SecondsUntil(DateTimeOffset at, DateTimeOffset now) =>
        Math.Max(0, (long)Math.Ceiling((at - now).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Two deltas per text, so the CLIs really assemble streamed parts.</summary>
    public static IEnumerable<string> Halves(string s)
    {
        if (s.Length < 2)
        {
            yield return s;
            yield break;
        }

        var mid = s.Length / 2;
        if (char.IsHighSurrogate(s[mid - 1]))
        {
            mid++;
        }

        yield return s[..mid];
        if (mid < s.Length)
        {
            yield return s[mid..];
        }
    }

    internal sealed class SseWriter(Stream body, CancellationToken ct)
    {
        public async Task EventAsync(string name, JsonObject data)
        {
            var bytes = Encoding.UTF8.GetBytes($"event: {name}\ndata: {data.ToJsonString(JsonOptions)}\n\n");
            await body.WriteAsync(bytes, ct);
            await body.FlushAsync(ct);
        }
    }
}
