namespace Fleet.Tests.Infrastructure;

/// <summary>A real folder under the system temp dir, removed when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string? prefix = null)
    {
        Path = Directory.CreateTempSubdirectory(prefix ?? "fleet-test-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string Write(string relativePath, string content)
    {
        var full = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process a test started may still hold a file; the OS cleans temp eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
