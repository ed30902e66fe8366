using System.Text.Json;
using Fleet.Gates;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Gates;

/// <summary>A test's side of the inbox files: waits for requests, answers as <c>fleet approve|deny</c> does, reads the gate log.</summary>
internal static class GateFilesForTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Waits until <paramref name="count"/> request files exist (the test's own bounded poll).</summary>
    public static async Task<IReadOnlyList<GateRequest>> NextRequestsAsync(string iterationDir, int count)
    {
        var dir = GatePaths.Dir(iterationDir);
        var deadline = DateTime.UtcNow + TestTimeouts.Slow;
        while (DateTime.UtcNow < deadline)
        {
            var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.request.json") : [];
            if (files.Length >= count)
            {
                var requests = new List<GateRequest>();
                foreach (var file in files)
                {
                    requests.Add(JsonSerializer.Deserialize(await File.ReadAllTextAsync(file, Ct), GateJsonContext.Default.GateRequest)!);
                }

                return requests;
            }

            await Task.Delay(50, Ct);
        }

        throw new TimeoutException($"no {count} gate request(s) in {dir}");
    }

    /// <summary>Answers as <c>fleet approve|deny</c> does: the answer file created exclusively.</summary>
    public static async Task AnswerAsync(string iterationDir, string gateId, GateAnswer answer)
    {
        await using var file = new FileStream(GatePaths.Answer(iterationDir, gateId), FileMode.CreateNew, FileAccess.Write);
        await JsonSerializer.SerializeAsync(file, answer, GateJsonContext.Default.GateAnswer, Ct);
    }

    public static async Task<List<GateRecord>> GatesAsync(string iterationDir, string worker) =>
        [.. (await File.ReadAllLinesAsync(GatePaths.Log(iterationDir, worker), Ct)).Select(l => JsonSerializer.Deserialize(l, GateJsonContext.Default.GateRecord)!)];
}
