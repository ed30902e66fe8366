namespace Fleet.Team;

/// <summary>
/// A plan that cannot be made or read: bad footprint paths, a needs cycle, a plan.json that breaks a rule.
/// <see cref="Problems"/> holds every problem, one line each (for plan.json: <c>FILE:LINE:COL: $.path: message</c>).
/// </summary>
public sealed class PlanException : Exception
{
    public PlanException(IReadOnlyList<string> problems)
        : base(string.Join('\n', problems ?? []))
    {
        Problems = problems ?? [];
    }

    public PlanException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public PlanException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public PlanException()
    {
        Problems = [];
    }

    public IReadOnlyList<string> Problems { get; }
}
