using System.Runtime.CompilerServices;
using Fleet.Telemetry.Store;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// SQLite's threading mode can be chosen only before a process's first connection. In the CLI the telemetry store
/// makes that first connection; in this test process any test may open SQLite first (to read rows back), so the
/// store's setting is applied when the test assembly loads, as the CLI's first connection would.
/// </summary>
internal static class SqliteSetup
{
    [ModuleInitializer]
    internal static void ConfigureLikeTheCli() => TelemetryStore.ConfigureSqlite();
}
