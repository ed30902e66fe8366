namespace Fleet.Spec;

// These attributes carry the constraints of fleet.json on the model itself, so the published JSON
// Schema and the validator are generated from one place (FleetSchema reads them).

/// <summary>The key must be present in its object.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredKeyAttribute : Attribute;

/// <summary>A string value must match this regular expression.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}

/// <summary>A number must be at least this value.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinimumAttribute(double value) : Attribute
{
    public double Value { get; } = value;
}

/// <summary>A number must be greater than this value.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ExclusiveMinimumAttribute(double value) : Attribute
{
    public double Value { get; } = value;
}

/// <summary>An array must have at least this many items.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinItemsAttribute(int count) : Attribute
{
    public int Count { get; } = count;
}

/// <summary>Each string item of an array must be non-empty.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NonEmptyItemsAttribute : Attribute;
