namespace Fleet.Tests.Infrastructure;

public class TempDirTests
{
    [Fact]
    public void A_temp_dir_is_removed_with_its_files_when_disposed()
    {
        string path;
        using (var dir = new TempDir())
        {
            path = dir.Path;
            dir.Write("a/b.txt", "x");
            File.Exists(dir.Combine("a", "b.txt")).ShouldBeTrue();
        }

        Directory.Exists(path).ShouldBeFalse();
    }
}
