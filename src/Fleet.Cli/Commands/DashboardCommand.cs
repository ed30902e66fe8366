using System.CommandLine;
using System.Text.Json.Serialization;
using Fleet.Cli.Hosting;
using Fleet.Dashboard;
using Fleet.Paths;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet dashboard</c>: every fleet of this user, live, in the browser, until Ctrl+C.</summary>
internal static class DashboardCommand
{
    public static Command Create(ICliConsole console)
    {
        var port = new Option<int?>("--port") { Description = $"The TCP port (default {ListenPlan.DefaultPort}; 0 picks a free one)." };
        var listen = new Option<string?>("--listen") { Description = "The address to listen on (default 127.0.0.1). Another machine can reach any other address: only if you pass it, with a warning." };
        var noOpen = new Option<bool>("--no-open") { Description = "Do not open a browser; just print the address." };
        var json = new Option<bool>("--json") { Description = "Write the address as one JSON line on stdout when the server is up (url, token_url, pid); messages go to stderr." };
        var command = new Command("dashboard", "A live web view of every fleet, its gates and workers, with approve/deny, steer, pause, resume and kill. Serves until Ctrl+C.")
        {
            port, listen, noOpen, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ListenPlan plan;
            try
            {
                plan = ListenPlan.Decide(parse.GetValue(listen), parse.GetValue(port));
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            if (plan.Warning is { } warning)
            {
                await console.Error.WriteLineAsync($"fleet: {warning}");
            }

            var host = CommandHelpers.Host(console);
            var by = console.GetEnvironmentVariable("USER") is { Length: > 0 } user ? $"{user} (dashboard)" : "a person (dashboard)";
            DashboardServer server;
            try
            {
                server = await DashboardServer.StartAsync(host, new DashboardOptions(plan, SelfCommand.Argv(console), by), cancellationToken);
            }
            catch (IOException e)
            {
                throw new CliException($"cannot listen on {DashboardSecurity.HostName(plan.Address)}:{plan.Port}: {e.Message} (--port 0 picks a free port)");
            }

            await using (server)
            {
                var address = new DashboardAddress(server.Url.AbsoluteUri, Environment.ProcessId);
                await address.WriteAsync(host.UserDirs, cancellationToken);
                try
                {
                    if (parse.GetValue(json))
                    {
                        await CommandHelpers.WriteJsonAsync(console, new DashboardJson(server.Url.AbsoluteUri, server.TokenUrl.AbsoluteUri, Environment.ProcessId), DashboardJsonContext.Default.DashboardJson);
                    }
                    else
                    {
                        await console.Out.WriteLineAsync($"fleet dashboard: {server.TokenUrl.AbsoluteUri}");
                    }

                    var opened = !parse.GetValue(noOpen) && BrowserLauncher.TryOpen(server.TokenUrl, console.GetEnvironmentVariable);
                    await console.Error.WriteLineAsync(opened
                        ? "opened in your browser; Ctrl+C stops the dashboard"
                        : "open the address above in a browser (the token in it is this session's; keep it private); Ctrl+C stops the dashboard");
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
                finally
                {
                    DashboardAddress.Remove(host.UserDirs, Environment.ProcessId);
                }
            }

            await console.Error.WriteLineAsync("fleet dashboard stopped");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <param name="TokenUrl">The address with this session's token: what a browser opens first.</param>
internal sealed record DashboardJson(string Url, string TokenUrl, int Pid);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardJson))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
