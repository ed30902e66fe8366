using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Rehearsal;

namespace Fleet.Cli.Commands;

internal static class RehearseCommand
{
    public static Command Create(ICliConsole console)
    {
        var rehearse = new Command("rehearse", "Rehearse fleets against fleet's own scripted model endpoint: real agent CLIs, no model spend.");
        rehearse.Subcommands.Add(Serve(console));
        return rehearse;
    }

    private static Command Serve(ICliConsole console)
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 0 };
        var listen = new Option<string>("--listen") { Description = "Address to bind (default 127.0.0.1; another address of this machine when the agents run elsewhere, 0.0.0.0 for all).", DefaultValueFactory = _ => "127.0.0.1" };
        listen.Validators.Add(r =>
        {
            if (RehearsalOptions.ParseListen(r.GetValueOrDefault<string>()) is null)
            {
                r.AddError($"--listen {r.GetValueOrDefault<string>()}: not an IP address");
            }
        });
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                r.AddError("--port must be between 0 and 65535");
            }
        });
        var script = new Option<string?>("--script") { Description = "A rehearsal script (JSON); without it, the default script: code-run workers write a file, reviewers write review.md (iterate, then lgtm)." };
        var reviewers = new Option<string[]>("--reviewer") { Description = "Worker ids the default script treats as reviewers.", DefaultValueFactory = _ => ["reviewer"], AllowMultipleArgumentsPerToken = true };
        var json = CommandHelpers.JsonOption();
        var serve = new Command("serve", "Serve the Anthropic Messages and OpenAI Responses streaming APIs on 127.0.0.1 (or --listen) until interrupted.") { port, listen, script, reviewers, json };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            RehearsalScript rehearsalScript;
            try
            {
                rehearsalScript = parse.GetValue(script) is { } file
                    ? RehearsalScript.LoadFile(CommandHelpers.Resolve(console, file))
                    : DefaultRehearsalScript.Create(parse.GetValue(reviewers)!);
            }
            catch (RehearsalScriptException ex)
            {
                throw new CliException(ex.Message);
            }

            await using var server = await StartAsync(parse.GetValue(port), RehearsalOptions.ParseListen(parse.GetValue(listen))!, rehearsalScript, cancellationToken);
            if (parse.GetValue(json))
            {
                await console.Out.WriteLineAsync($"{{\"base_url\":\"{server.BaseUrl.ToString().TrimEnd('/')}\",\"port\":{server.Port}}}");
            }
            else
            {
                var url = server.BaseUrl.ToString().TrimEnd('/');
                await console.Out.WriteLineAsync($"rehearsal endpoint on {url} (Ctrl+C stops it)");
                await console.Out.WriteLineAsync($"  claude: ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=rehearsal:<fleet>:<worker>:<iteration> CLAUDE_CONFIG_DIR=$(mktemp -d) claude -p --output-format stream-json --verbose \"hello\"");
                await console.Out.WriteLineAsync($"  codex:  CODEX_HOME with a config.toml whose model provider has base_url = \"{url}/v1\" (see README: Rehearsal)");
                await console.Out.WriteLineAsync($"  gemini: GOOGLE_GEMINI_BASE_URL={url} GEMINI_API_KEY=rehearsal:<fleet>:<worker>:<iteration> GEMINI_CLI_HOME=DIR (DIR/.gemini/settings.json: security.auth.selectedType \"gemini-api-key\") gemini --skip-trust -o stream-json -p \"hello\"");
            }

            await console.Out.FlushAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: the normal way to stop a server.
            }

            return ExitCodes.Success;
        });
        return serve;
    }

    private static async Task<RehearsalServer> StartAsync(int port, System.Net.IPAddress listen, RehearsalScript script, CancellationToken cancellationToken)
    {
        try
        {
            return await RehearsalServer.StartAsync(new RehearsalOptions { Port = port, Listen = listen, Script = script }, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new CliException($"cannot listen on {listen}:{port}: {ex.Message}");
        }
    }
}
