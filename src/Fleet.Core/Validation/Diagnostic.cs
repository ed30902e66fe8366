namespace Fleet.Validation;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>One problem in a fleet, located by file, line:col (1-based) and JSON path.</summary>
public sealed record Diagnostic(Severity Severity, string File, int Line, int Column, string JsonPath, string Message)
{
    /// <summary><c>FILE:LINE:COL: $.json.path: message</c>, the form compilers and editors understand.</summary>
    public override string ToString() => Severity == Severity.Warning
        ? $"{File}:{Line}:{Column}: {JsonPath}: warning: {Message}"
        : $"{File}:{Line}:{Column}: {JsonPath}: {Message}";
}
