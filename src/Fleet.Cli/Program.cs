using Fleet.Cli;
using Fleet.Cli.Hosting;

return await FleetApp.RunAsync(args, SystemCliConsole.Instance, CancellationToken.None);
