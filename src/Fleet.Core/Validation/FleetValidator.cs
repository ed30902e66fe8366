using System.Text.Json;
using Fleet.Gates.Policy;
using Fleet.Paths;
using Fleet.Spec;

namespace Fleet.Validation;

/// <summary>The outcome of validating a fleet: every problem found, and the fleet itself when it has no errors.</summary>
public sealed record ValidationResult(string File, string Root, IReadOnlyList<Diagnostic> Diagnostics, ResolvedFleet? Fleet)
{
    public bool IsValid => Fleet is not null;

    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == Severity.Error);

    public IEnumerable<Diagnostic> Warnings => Diagnostics.Where(d => d.Severity == Severity.Warning);
}

/// <summary>A fleet that cannot even be read: no such file or folder.</summary>
public sealed class FleetNotFoundException(string message) : Exception(message);

/// <summary>Validates fleet.json: JSON syntax, then the schema, then the rules between fields, all problems at once.</summary>
public static class FleetValidator
{
    public const string FileName = "fleet.json";

    /// <summary>Validates the fleet at <paramref name="path"/>: a fleet root or its fleet.json.</summary>
    /// <param name="path">Absolute path of the fleet root or of fleet.json.</param>
    /// <param name="displayPath">How the user named it; diagnostics show the file under this name.</param>
    public static ValidationResult ValidatePath(string path, string? displayPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        displayPath ??= path;
        string file;
        string displayFile;
        switch (InputFiles.KindOf(path))
        {
            case FileKind.Directory:
                file = Path.Combine(path, FileName);
                displayFile = Path.Combine(displayPath, FileName);
                if (InputFiles.KindOf(file) == FileKind.Missing)
                {
                    throw new FleetNotFoundException($"no {FileName} in {displayPath} (create one with: fleet init {displayPath} --type iterative)");
                }

                break;
            case FileKind.Missing:
                throw new FleetNotFoundException($"{displayPath}: no such file or folder");
            default:
                file = path;
                displayFile = displayPath;
                break;
        }

        // Looked at before it is opened: a FIFO or a device would block the read, a dangling link fail it.
        InputFiles.Require(file, displayFile);
        string text;
        try
        {
            text = InputFiles.Decode(File.ReadAllBytes(file), displayFile);
        }
        catch (InputFileException e) when (e.Line is { } line)
        {
            return new ValidationResult(displayFile, Path.GetDirectoryName(Path.GetFullPath(file))!, [Unreadable(e, line)], null);
        }

        return Validate(text, displayFile, Path.GetDirectoryName(Path.GetFullPath(file))!);
    }

    /// <summary>Text that is not UTF-8, as a diagnostic at the first bad byte.</summary>
    private static Diagnostic Unreadable(InputFileException e, int line) =>
        new(Severity.Error, e.File, line, e.Column ?? 1, "$", e.Reason);

    /// <summary>Validates fleet.json text; <paramref name="root"/> is where workers/&lt;id&gt;/prompt.md are looked for.</summary>
    public static ValidationResult Validate(string text, string displayFile, string root)
    {
        var diagnostics = new List<Diagnostic>();
        if (Parse(text, displayFile, diagnostics) is not { } document)
        {
            return new ValidationResult(displayFile, root, diagnostics, null);
        }

        var clean = new SchemaChecker(displayFile, diagnostics).Check(document, FleetSchema.Shared);
        FleetSpec? spec = null;
        if (clean is not null)
        {
            spec = clean.Deserialize(FleetJsonContext.Default.FleetSpec);
        }

        // Causes before consequences: a key the schema does not know, a value of the wrong type, come before what
        // the rules between fields make of the file without them.
        var shape = InFileOrder(diagnostics);
        var rules = new List<Diagnostic>();
        if (spec is not null)
        {
            new FleetRules(displayFile, root, document, rules).Check(spec);
        }

        var sorted = shape.Concat(InFileOrder(rules)).ToList();
        var gatesFile = Path.Combine(root, GateRuleFiles.RepoFileName);
        var gatesDisplay = Path.Combine(Path.GetDirectoryName(displayFile) ?? string.Empty, GateRuleFiles.RepoFileName);
        var gatesKind = spec is null ? FileKind.Missing : InputFiles.KindOf(gatesFile);
        if (gatesKind == FileKind.Regular)
        {
            try
            {
                sorted.AddRange(ValidateGates(InputFiles.ReadText(gatesFile, gatesDisplay), gatesDisplay, root));
            }
            catch (InputFileException e) when (e.Line is { } line)
            {
                sorted.Add(Unreadable(e, line));
            }
        }
        else if (gatesKind != FileKind.Missing)
        {
            sorted.Add(new Diagnostic(Severity.Error, gatesDisplay, 1, 1, "$", $"{gatesDisplay} is {InputFiles.Describe(gatesKind)}, not a regular file"));
        }

        var valid = spec is not null && sorted.All(d => d.Severity != Severity.Error);
        return new ValidationResult(displayFile, root, sorted, valid ? ResolvedFleet.From(root, spec!) : null);
    }

    /// <summary>Validates a <c>.fleet/gates.json</c>: the shape of fleet.json's <c>gates</c>, every rule's syntax.</summary>
    public static IReadOnlyList<Diagnostic> ValidateGates(string text, string displayFile, string root)
    {
        var diagnostics = new List<Diagnostic>();
        if (Parse(text, displayFile, diagnostics) is not { } document)
        {
            return diagnostics;
        }

        var clean = new SchemaChecker(displayFile, diagnostics).Check(document, FleetSchema.GatesShared);
        var rules = new List<Diagnostic>();
        if (clean?.Deserialize(FleetJsonContext.Default.GatesSpec) is { } gates)
        {
            new FleetRules(displayFile, root, document, rules).CheckGates(gates, "$");
        }

        return [.. InFileOrder(diagnostics), .. InFileOrder(rules)];
    }

    /// <summary>Validates the user's <c>notify.json</c>: the shape of fleet.json's <c>notify</c>, the webhook's URL.</summary>
    public static (NotifySpec? Notify, IReadOnlyList<Diagnostic> Diagnostics) ValidateNotify(string text, string displayFile)
    {
        var diagnostics = new List<Diagnostic>();
        if (Parse(text, displayFile, diagnostics) is not { } document)
        {
            return (null, diagnostics);
        }

        var clean = new SchemaChecker(displayFile, diagnostics).Check(document, FleetSchema.NotifyShared);
        var notify = clean?.Deserialize(FleetJsonContext.Default.NotifySpec);
        var rules = new List<Diagnostic>();
        if (notify is not null)
        {
            new FleetRules(displayFile, Path.GetDirectoryName(displayFile) ?? ".", document, rules).CheckNotify(notify, "$");
        }

        List<Diagnostic> sorted = [.. InFileOrder(diagnostics), .. InFileOrder(rules)];
        return (sorted.Any(d => d.Severity == Severity.Error) ? null : notify, sorted);
    }

    private static List<Diagnostic> InFileOrder(IEnumerable<Diagnostic> diagnostics) =>
        [.. diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column).ThenBy(d => d.Severity)];

    /// <summary>The document, or null with the parser's complaint added at its position.</summary>
    private static SourceNode? Parse(string text, string displayFile, List<Diagnostic> diagnostics)
    {
        try
        {
            return SourceJson.Parse(text);
        }
        catch (SourceJsonException ex)
        {
            diagnostics.Add(new Diagnostic(Severity.Error, displayFile, ex.Line, ex.Column, "$", $"invalid JSON: {ex.Message}"));
            return null;
        }
    }
}
