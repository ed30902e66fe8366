using Fleet.Spec;
using Fleet.State;

namespace Fleet.Rehearsal;

/// <summary>What a rehearsed fleet plays: the fleet root's own <c>rehearsal.json</c> when it has one, else the default script.</summary>
public static class FleetRehearsalScript
{
    /// <exception cref="RehearsalScriptException">The fleet's script cannot be read or is not valid (the message names the file and the JSON path).</exception>
    public static RehearsalScript For(ResolvedFleet fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var file = new FleetLayout(fleet.Root).RehearsalFile;
        bool exists;
        try
        {
            exists = Paths.InputFiles.Exists(file, file);
        }
        catch (Paths.InputFileException e)
        {
            throw new RehearsalScriptException(e.Message, e);
        }

        return exists
            ? RehearsalScript.LoadFile(file)
            : DefaultRehearsalScript.Create(fleet.Workers.Where(w => w.Type == WorkerType.Reviewer).Select(w => w.Id));
    }
}
