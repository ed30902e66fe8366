namespace Fleet.Limits;

/// <summary>What fleet tells an agent whose session it continues after a usage or rate limit.</summary>
public static class LimitContinuation
{
    /// <summary>Leads the continuation prompt, so the note is recognisable (the rehearsal endpoint plays past the limit on it).</summary>
    public const string Marker = "[fleet: the limit has reset]";

    /// <summary>The prompt of a continuation: the same session goes on with its own brief; only this note is new.</summary>
    public static string Prompt(string? limit) =>
        $"{Marker} Your previous turn stopped at a {(string.IsNullOrWhiteSpace(limit) ? "usage or rate limit" : limit)}. The limit has reset: continue your task from where you stopped, without redoing finished work, and end with a short summary of what you changed.";
}
