#!/usr/bin/env bash
# Benchmarks the secret masker: the current SecretMasker against the one of a baseline commit, side by side,
# on every JSON string value of the shared corpus's transcripts. Each string is passed to SecretMasker.Mask,
# ROUNDS rounds per process, PROCESSES processes per version, alternating old/new; prints every round and the
# median and minimum per version, and how many strings each version changed. Timing is informational.
#
# usage: scripts/bench-masker.sh [BASELINE_COMMIT] [ROUNDS] [PROCESSES]   (default 44f8657, 7, 2)
# env:   FLEET_CORPUS_DIR   the shared corpus (default <repo>/../shared/corpus)
set -euo pipefail
base="${1:-44f8657}"; rounds="${2:-7}"; procs="${3:-2}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${FLEET_CORPUS_DIR:-$repo/../shared/corpus}"
[[ -d "$corpus" ]] || { echo "bench-masker: corpus not found at $corpus" >&2; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
masker=src/Fleet.Core/Telemetry/Privacy/SecretMasker.cs
cp "$repo/$masker" "$tmp/NewMasker.cs"
git -C "$repo" show "$base:$masker" | sed 's/^namespace Fleet.Telemetry.Privacy;/namespace Baseline;/' > "$tmp/OldMasker.cs"
cat > "$tmp/bench.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings><InvariantGlobalization>true</InvariantGlobalization><AllowUnsafeBlocks>true</AllowUnsafeBlocks></PropertyGroup>
</Project>
XML
cat > "$tmp/Program.cs" <<'CS'
using System.Diagnostics;
using System.Text.Json;
var (which, corpus, rounds) = (args[0], args[1], int.Parse(args[2]));
Func<string, string> mask = which == "old" ? Baseline.SecretMasker.Mask : Fleet.Telemetry.Privacy.SecretMasker.Mask;
var strings = new List<string>();
foreach (var file in Directory.EnumerateFiles(corpus, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
    foreach (var line in File.ReadLines(file))
    {
        if (line.Length == 0) continue;
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(line), new JsonReaderOptions { AllowTrailingCommas = true });
        try { while (reader.Read()) if (reader.TokenType == JsonTokenType.String) strings.Add(reader.GetString()!); }
        catch (JsonException) { }
    }
var changed = strings.Count(s => !ReferenceEquals(mask(s), s) && mask(s) != s);
for (var r = 1; r <= rounds; r++)
{
    var sw = Stopwatch.StartNew();
    foreach (var s in strings) mask(s);
    Console.WriteLine($"{which} {r} {sw.Elapsed.TotalMilliseconds:F1} {strings.Count} {strings.Sum(s => (long)s.Length)} {changed}");
}
CS
echo "== building (baseline $base)" >&2
dotnet build "$tmp/bench.csproj" -c Release --nologo -v quiet -o "$tmp/out" >/dev/null
for p in $(seq 1 "$procs"); do
  for v in old new; do dotnet "$tmp/out/bench.dll" "$v" "$corpus" "$rounds"; done
done | tee "$tmp/results"
for v in old new; do
  grep "^$v " "$tmp/results" | sort -k3,3n | awk -v v="$v" '{ t[NR] = $3; n = $4; c = $5; ch = $6 }
    END { printf "%s: median %.1f ms, min %.1f ms over %d rounds; %d strings, %d chars, %d changed\n", v, t[int((NR + 1) / 2)], t[1], NR, n, c, ch }'
done
