using Fleet.Retro;
using Fleet.Tests.Telemetry;

namespace Fleet.Tests.Retro;

/// <summary>The classifier on the real gates of the shared corpus (read in place), each with the class it should get.</summary>
public sealed class CorpusGateClassTests
{
    private static async Task<GateClassification> ClassifyAsync(string file)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Long);
        var gates = await TranscriptGates.ReadAsync(Corpus.Claude(file), cts.Token);
        return GateClassifier.Classify(gates);
    }

    private static string Classes(GateClassification c) => string.Join(", ", c.Gates.Select(g => $"{g.Gate.Kind}/{g.Class}/{g.Action}"));

    [Fact]
    public async Task Dump()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(Corpus.Dir, "claude")))
        {
            var c = await ClassifyAsync(Path.GetFileName(f));
            TestContext.Current.SendDiagnosticMessage(Path.GetFileName(f) + ": " + Classes(c) + " | " + string.Join(" || ", c.Gates.Where(g => g.Gate.Kind == "question").Select(g => g.Gate.Asked + " => " + g.Gate.Answer)));
            Console.Error.WriteLine(Path.GetFileName(f) + ": " + Classes(c) + " | " + string.Join(" || ", c.Gates.Where(g => g.Gate.Kind == "question").Select(g => g.Gate.Asked + " => " + g.Gate.Answer)));
        }
    }
}
