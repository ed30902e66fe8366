using System.Text.Json;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Slurm;

/// <summary><c>fleet doctor ROOT</c> for a slurm fleet, against the loopback cluster: sinfo, squeue, munge, and a node reading the root.</summary>
[Collection(SlurmCluster.Collection)]
public sealed class SlurmDoctorClusterTests : IDisposable
{
    private readonly TempDir _dir = new("fleet-slurm-doctor-");

    public void Dispose() => _dir.Dispose();

    private async Task<(int Code, TestConsole Console, Dictionary<string, JsonElement> Checks)> DoctorAsync(string slurm)
    {
        var conf = await SlurmCluster.RequireAsync();
        _dir.Write("fleet/fleet.json", $$"""
            { "fleet_name": "doctor", "type": "dag", "config": { "provider": "command", "placement": "slurm", "slurm": {{slurm}} },
              "workers": [ { "id": "a", "type": "code-run", "command": ["true"] } ] }
            """);
        var (code, console) = await TestConsole.RunAsync(_dir.Path, new Dictionary<string, string> { ["SLURM_CONF"] = conf }, "doctor", _dir.Combine("fleet"), "--json");
        var checks = JsonDocument.Parse(console.Stdout).RootElement.GetProperty("slurm").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
        return (code, console, checks);
    }

    [Fact]
    public async Task Doctor_of_a_slurm_fleet_checks_sinfo_squeue_munge_and_that_a_node_reads_a_file_written_in_its_root()
    {
        var (_, console, checks) = await DoctorAsync("{}");

        checks.Keys.ShouldBe(["sinfo", "squeue", "munge", "shared path"]);
        checks.Values.ShouldAllBe(c => c.GetProperty("ok").GetBoolean(), console.Stdout);
        checks["sinfo"].GetProperty("detail").GetString()!.ShouldContain("agents");
        checks["munge"].GetProperty("detail").GetString()!.ShouldContain("Success");
        checks["shared path"].GetProperty("detail").GetString()!.ShouldMatch($"^node w[123] read {System.Text.RegularExpressions.Regex.Escape(_dir.Combine("fleet", ".fleet"))}/doctor-probe-[0-9a-f]{{8}}, written here$");
        Directory.GetFiles(_dir.Combine("fleet", ".fleet"), "doctor-probe-*").ShouldBeEmpty("the probe file is removed");
    }

    [Fact]
    public async Task Doctor_names_the_slurm_check_that_fails_and_exits_1()
    {
        var (code, console, checks) = await DoctorAsync("""{ "partition": "nosuchpartition" }""");

        checks["sinfo"].GetProperty("ok").GetBoolean().ShouldBeTrue();
        checks["shared path"].GetProperty("ok").GetBoolean().ShouldBeFalse();
        checks["shared path"].GetProperty("detail").GetString()!.ShouldContain("invalid partition", Case.Insensitive);
        code.ShouldBe(1);
        console.Stderr.ShouldContain("fleet: slurm placement cannot work here: shared path failed");
    }
}
