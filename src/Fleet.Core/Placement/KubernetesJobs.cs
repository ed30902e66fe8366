using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Spec;

namespace Fleet.Placement;

/// <summary>
/// The Kubernetes design on paper: one batch/v1 Job per worker and iteration, never retried
/// (<c>backoffLimit: 0</c>, <c>restartPolicy: Never</c>, a disruption fails the Job instead of starting a new pod), the
/// fleet root on a ReadWriteMany volume mounted at the same path, the API keys from a Secret. Pure: it prints what
/// <c>fleet launch --placement kubernetes --dry-run</c> shows; nothing submits it (docs/scale-out.md).
/// </summary>
public static class KubernetesJobs
{
    public const string Image = "fleet-worker:local";
    public const string RootClaim = "fleet-root";
    public const string KeysSecret = "fleet-agent-keys";
    public const string FleetBinary = "/usr/local/bin/fleet";

    /// <summary>A v1 List of the first iteration's Jobs, in start order (<c>kubectl apply -f</c> takes it).</summary>
    public static JsonObject Manifests(ResolvedFleet fleet, IEnumerable<string> workersInOrder)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var items = new JsonArray();
        foreach (var id in workersInOrder)
        {
            items.Add((JsonNode)Job(fleet, fleet.Worker(id), 1));
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items };
    }

    /// <summary>One worker's Job for one iteration.</summary>
    public static JsonObject Job(ResolvedFleet fleet, ResolvedWorker worker, int iteration)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(worker);
        var iterationDir = Path.Combine(fleet.Root, "iterations", iteration.ToString(CultureInfo.InvariantCulture));
        var labels = Labels(fleet, worker, iteration);
        return new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name(fleet.Name, worker.Id, iteration),
                ["labels"] = labels.DeepClone(),
                ["annotations"] = new JsonObject { ["fleet.invalid/root"] = fleet.Root },
            },
            ["spec"] = new JsonObject
            {
                // Never restart: one pod, no retry; a pod lost to a disruption (eviction, node drain) fails the Job.
                ["backoffLimit"] = 0,
                ["completions"] = 1,
                ["parallelism"] = 1,
                ["podFailurePolicy"] = new JsonObject
                {
                    ["rules"] = new JsonArray(new JsonObject
                    {
                        ["action"] = "FailJob",
                        ["onPodConditions"] = new JsonArray(new JsonObject { ["type"] = "DisruptionTarget" }),
                    }),
                },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["labels"] = labels.DeepClone(),
                        ["annotations"] = new JsonObject { ["cluster-autoscaler.kubernetes.io/safe-to-evict"] = "false" },
                    },
                    ["spec"] = new JsonObject
                    {
                        ["restartPolicy"] = "Never",
                        ["containers"] = new JsonArray(Container(fleet, worker, iterationDir)),
                        ["volumes"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "fleet-root",
                            ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = RootClaim },
                        }),
                    },
                },
            },
        };
    }

    /// <summary>A DNS-1123 name of at most 63 characters: <c>fleet-&lt;fleet&gt;-&lt;worker&gt;-&lt;iteration&gt;</c>.</summary>
    public static string Name(string fleet, string worker, int iteration)
    {
        var name = $"fleet-{Dns(fleet)}-{Dns(worker)}-{iteration.ToString(CultureInfo.InvariantCulture)}";
        if (name.Length <= 63)
        {
            return name;
        }

        // Long ids keep their start and get a short hash of the whole, so two names never collide by cutting.
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        return $"{name[..(63 - 9)].TrimEnd('-')}-{hash}";
    }

    private static JsonObject Labels(ResolvedFleet fleet, ResolvedWorker worker, int iteration) => new()
    {
        ["app.kubernetes.io/managed-by"] = "fleet",
        ["fleet.invalid/fleet"] = Dns(fleet.Name),
        ["fleet.invalid/worker"] = Dns(worker.Id),
        ["fleet.invalid/iteration"] = iteration.ToString(CultureInfo.InvariantCulture),
    };

    private static JsonObject Container(ResolvedFleet fleet, ResolvedWorker worker, string iterationDir)
    {
        var env = new JsonArray();
        foreach (var (name, key) in KeysOf(worker.Provider))
        {
            env.Add((JsonNode)new JsonObject
            {
                ["name"] = name,
                ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = KeysSecret, ["key"] = key } },
            });
        }

        // Guaranteed QoS (requests = limits): the last pods a node evicts under pressure.
        var resources = new JsonObject { ["cpu"] = "1", ["memory"] = "2Gi" };
        return new JsonObject
        {
            ["name"] = "shim",
            ["image"] = Image,
            ["command"] = new JsonArray(FleetBinary, "worker", "--spec", Path.Combine(iterationDir, $"{worker.Id}.spec.json")),
            ["workingDir"] = fleet.Root,
            ["env"] = env,
            ["resources"] = new JsonObject { ["requests"] = resources.DeepClone(), ["limits"] = resources },
            ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "fleet-root", ["mountPath"] = fleet.Root }),
        };
    }

    private static IEnumerable<(string Name, string Key)> KeysOf(Provider provider) => provider switch
    {
        Provider.Claude => [("ANTHROPIC_API_KEY", "anthropic-api-key")],
        Provider.Codex => [("OPENAI_API_KEY", "openai-api-key")],
        Provider.Gemini => [("GEMINI_API_KEY", "gemini-api-key")],
        _ => [],
    };

    private static string Dns(string id)
    {
        var text = new string([.. id.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        return text.Length == 0 ? "x" : text;
    }
}
