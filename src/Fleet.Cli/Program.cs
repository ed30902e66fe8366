using Fleet.Cli;
using Fleet.Cli.Hosting;

var code = await FleetApp.RunAsync(args, SystemCliConsole.Instance, CancellationToken.None);
SystemCliConsole.RestoreKeypad();
return code;
