// The dummy agent the tests spawn instead of claude/codex (the CliWrap.Tests.Dummy pattern).
// Modes are steps, run left to right, so one run composes them:
//   fake-agent echo started fork-grandchild 30 sleep 60000 exit 3
//
//   echo TEXT                  TEXT and a newline on stdout
//   echo-err TEXT              TEXT and a newline on stderr
//   emit FILE                  FILE's bytes on stdout, exactly, line by line
//   emit-delayed FILE MS       the same, MS milliseconds between lines
//   sleep MS                   wait MS milliseconds
//   ignore-sigint              survive SIGINT from now on (also: ignore-sigterm)
//   fork-grandchild SECONDS    double-fork `sleep SECONDS` (re-parented away from us, pipes closed); prints "grandchild-pid N"
//   fork-grandchild-holding-pipes SECONDS   the same, but the grandchild keeps our stdout and stderr open
//   flood-stderr BYTES         BYTES bytes on stderr (lines of 'e')
//   write-file PATH TEXT       write TEXT to PATH
//   wait-file PATH             wait until PATH exists (at most 5 minutes)
//   print-pid                  "pid N" on stdout
//   cat-stdin                  copy stdin to stdout until end-of-file
//   exit N                     exit with code N now (without it: 0 after the last step)
//   shim SPEC                  run the worker shim on a WorkerLaunchSpec JSON file (the readable view on stdout)
//   spawn-shim SPEC            start `setsid fake-agent shim SPEC` with its output piped to us, print "shim-pid N",
//                              then forward its output until it ends: a stand-in for the orchestrator
//
// There is no pipe-test mode: .NET ignores SIGPIPE and its children inherit that, so a `yes | head -1` started
// from here would always see SIGPIPE ignored, whatever started us. The tests run that pipeline as the agent itself.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Fleet.Workers;

var stdout = Console.OpenStandardOutput();
var stderr = Console.OpenStandardError();
var registrations = new List<PosixSignalRegistration>();
var i = 0;

string Next() => i < args.Length ? args[i++] : throw new ArgumentException($"'{args[i - 1]}' needs an argument");
int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);

void WriteLine(Stream stream, string text)
{
    stream.Write(Encoding.UTF8.GetBytes(text + "\n"));
    stream.Flush();
}

async Task EmitAsync(string path, int delayMs)
{
    var bytes = await File.ReadAllBytesAsync(path);
    var start = 0;
    while (start < bytes.Length)
    {
        var newline = Array.IndexOf(bytes, (byte)'\n', start);
        var end = newline < 0 ? bytes.Length : newline + 1;
        stdout.Write(bytes, start, end - start);
        stdout.Flush();
        start = end;
        if (delayMs > 0 && start < bytes.Length)
        {
            await Task.Delay(delayMs);
        }
    }
}

void ForkGrandchild(int seconds, bool holdPipes)
{
    // The subshell starts sleep in the background and exits at once, so sleep is re-parented (to init or a
    // subreaper): the double fork that Process.Kill(entireProcessTree) cannot see. It stays in our process group.
    var redirect = holdPipes ? string.Empty : " </dev/null >/dev/null 2>&1";
    using var sh = Process.Start(new ProcessStartInfo("/bin/sh")
    {
        ArgumentList = { "-c", $"(sleep \"$1\"{redirect} & echo grandchild-pid $!)", "sh", seconds.ToString(CultureInfo.InvariantCulture) },
        UseShellExecute = false,
    })!;
    sh.WaitForExit();
}

async Task<int> SpawnShimAsync(string specPath)
{
    var self = Environment.ProcessPath!;
    var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        psi.ArgumentList.Add(self);
        psi.ArgumentList.Add(typeof(WorkerShim).Assembly.Location.Replace("Fleet.Core.dll", "fake-agent.dll", StringComparison.Ordinal));
    }
    else
    {
        psi.ArgumentList.Add(self);
    }

    psi.ArgumentList.Add("shim");
    psi.ArgumentList.Add(specPath);
    using var shim = Process.Start(psi)!;
    WriteLine(stdout, "shim-pid " + shim.Id.ToString(CultureInfo.InvariantCulture));
    var forwardOut = shim.StandardOutput.BaseStream.CopyToAsync(stdout);
    var forwardErr = shim.StandardError.BaseStream.CopyToAsync(stderr);
    await shim.WaitForExitAsync();
    await Task.WhenAll(forwardOut, forwardErr);
    return shim.ExitCode;
}

while (i < args.Length)
{
    var mode = args[i++];
    switch (mode)
    {
        case "echo":
            WriteLine(stdout, Next());
            break;
        case "echo-err":
            WriteLine(stderr, Next());
            break;
        case "emit":
            await EmitAsync(Next(), 0);
            break;
        case "emit-delayed":
            await EmitAsync(Next(), NextInt());
            break;
        case "sleep":
            await Task.Delay(NextInt());
            break;
        case "ignore-sigint":
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => ctx.Cancel = true));
            break;
        case "ignore-sigterm":
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => ctx.Cancel = true));
            break;
        case "fork-grandchild":
            ForkGrandchild(NextInt(), holdPipes: false);
            break;
        case "fork-grandchild-holding-pipes":
            ForkGrandchild(NextInt(), holdPipes: true);
            break;
        case "flood-stderr":
        {
            var remaining = NextInt();
            var line = Encoding.ASCII.GetBytes(new string('e', 99) + "\n");
            while (remaining > 0)
            {
                var n = Math.Min(remaining, line.Length);
                stderr.Write(line, 0, n);
                remaining -= n;
            }

            stderr.Flush();
            break;
        }

        case "write-file":
        {
            var path = Next();
            await File.WriteAllTextAsync(path, Next());
            break;
        }

        case "wait-file":
        {
            var path = Next();
            var waited = Stopwatch.StartNew();
            while (!File.Exists(path) && waited.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(20);
            }

            break;
        }

        case "print-pid":
            WriteLine(stdout, "pid " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            break;
        case "cat-stdin":
            await Console.OpenStandardInput().CopyToAsync(stdout);
            break;
        case "exit":
            return NextInt();
        case "shim":
        {
            var spec = await WorkerLaunchSpec.ReadAsync(Next(), CancellationToken.None);
            Fleet.Processes.OrphanReaper.TryEnable();
            await WorkerShim.RunAsync(spec, new WorkerShimOptions { View = Console.Out }, CancellationToken.None);
            break;
        }

        case "spawn-shim":
            return await SpawnShimAsync(Next());
        default:
            WriteLine(stderr, $"fake-agent: unknown mode '{mode}'");
            return 64;
    }
}

GC.KeepAlive(registrations);
return 0;
