using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Gates.Inbox;

/// <summary>One question of a worker's AskUserQuestion gate, with its options.</summary>
public sealed record GateQuestion(string Text, IReadOnlyList<string> Options, bool MultiSelect)
{
    /// <summary>AskUserQuestion's input: <c>{questions: [{question, header, options: [{label, description}], multiSelect}]}</c>.</summary>
    public static IReadOnlyList<GateQuestion> Of(GateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var list = new List<GateQuestion>();
        if (request.Input?["questions"] is not JsonArray questions)
        {
            return list;
        }

        foreach (var q in questions.OfType<JsonObject>())
        {
            if (StringOf(q["question"]) is not { } text)
            {
                continue;
            }

            var options = q["options"] is JsonArray o ? o.Select(x => x is JsonObject ob ? StringOf(ob["label"]) : StringOf(x)).OfType<string>().ToList() : [];
            var multi = q["multiSelect"] is JsonValue m && m.GetValueKind() == JsonValueKind.True;
            list.Add(new GateQuestion(text, options, multi));
        }

        return list;
    }

    /// <summary>How the question reads to a person: its number and text, then its numbered options.</summary>
    public IEnumerable<string> Lines(int index)
    {
        yield return $"{index + 1}. {Text}{(MultiSelect ? " (several: comma-separated)" : "")}";
        for (var i = 0; i < Options.Count; i++)
        {
            yield return $"   {i + 1}) {Options[i]}";
        }
    }

    /// <summary>An option's number (1-based) or label (any case) names that option; anything else is the person's own text.</summary>
    public string Option(string given)
    {
        if (int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= Options.Count)
        {
            return Options[n - 1];
        }

        return Options.FirstOrDefault(o => string.Equals(o, given, StringComparison.OrdinalIgnoreCase)) ?? given;
    }

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
