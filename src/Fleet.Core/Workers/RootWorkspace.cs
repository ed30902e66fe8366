using Fleet.Spec;

namespace Fleet.Workers;

/// <summary>Every worker runs in the fleet root, or in its <c>workdir</c> (relative to the root) when it names one.</summary>
public sealed class RootWorkspace(string root) : IWorkspace
{
    public Task<string> PrepareAsync(ResolvedWorker worker, int iteration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var directory = worker.Workdir is { } workdir ? Path.GetFullPath(workdir, root) : root;
        return Directory.Exists(directory)
            ? Task.FromResult(directory)
            : throw new DirectoryNotFoundException($"{worker.Id}'s workdir {directory} does not exist");
    }

    public Task FinishAsync(ResolvedWorker worker, int iteration, WorkerExitRecord record, CancellationToken cancellationToken) => Task.CompletedTask;
}
