using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Hosting;
using Fleet.Doctrine;
using Fleet.Retro;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet doctrine apply ROOT --run ID [--only N,M]</c>: writes a run's accepted retro recommendations into the repository.</summary>
internal static class DoctrineCommand
{
    public static Command Create(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var run = new Option<string>("--run") { Description = "The run whose retro recommendations to apply.", Required = true };
        var only = new Option<string?>("--only") { Description = "Recommendation numbers as fleet retro lists them, comma-separated (default: every \"avoid\")." };
        var apply = new Command("apply", "Write a run's recommendations into the repo: allow rules into .fleet/gates.json; defaults and preconditions into .fleet/doctrine.md (preconditions also into .fleet/preconditions.json).")
        {
            root, run, only,
        };
        apply.SetAction(async (parse, cancellationToken) =>
        {
            var full = CommandHelpers.Resolve(console, parse.GetValue(root)!);
            if (!Directory.Exists(full))
            {
                throw new CliException($"{parse.GetValue(root)}: no such folder");
            }

            var numbers = ParseNumbers(parse.GetValue(only));
            DoctrineResult result;
            try
            {
                var retro = RetroReport.Build(full, parse.GetValue(run), TimeSpan.FromMinutes(5));
                result = DoctrineApplier.Apply(full, retro, numbers);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or InvalidDataException)
            {
                throw new CliException($"{e.Message}; nothing was written");
            }

            foreach (var line in result.Lines)
            {
                await console.Out.WriteLineAsync(line);
            }

            await console.Out.WriteLineAsync(result.Files.Count == 0
                ? $"run {result.Run}: nothing new to apply; no file changed"
                : $"run {result.Run}: {result.Added} added; wrote {string.Join(", ", result.Files)}");
            cancellationToken.ThrowIfCancellationRequested();
            return ExitCodes.Success;
        });
        return new Command("doctrine", "What earlier runs settled, carried into every later run: fleet doctrine apply.") { apply };
    }

    private static List<int>? ParseNumbers(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var numbers = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new CliException($"--only {text}: \"{part}\" is not a recommendation number (as fleet retro lists them: 1,3)");
            }

            numbers.Add(n);
        }

        return numbers.Count > 0 ? numbers : throw new CliException("--only: give at least one recommendation number (1,3)");
    }
}
