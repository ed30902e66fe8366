using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Streams;

/// <summary>The golden-file helper itself: it must fail on a difference, or every golden test passes vacuously.</summary>
public class GoldenHelperTests
{
    [Fact]
    public void Golden_paths_resolve_beside_the_calling_source_file_not_the_build_output()
    {
        var path = Golden.PathFor("x.txt", "/src/tests/Fleet.Tests/Streams/SomeTests.cs");

        path.ShouldBe(Path.Combine("/src/tests/Fleet.Tests/Streams", "Golden", "x.txt"));
    }

    [Fact]
    public void A_difference_from_the_golden_file_fails_and_names_the_first_differing_line()
    {
        using var dir = new TempDir();
        var caller = dir.Combine("FakeTests.cs");
        dir.Write("Golden/a.txt", "one\ntwo\n");

        Golden.Match("one\ntwo\n", "a.txt", caller, update: false);
        Golden.Match("one\r\ntwo\r\n", "a.txt", caller, update: false);
        var e = Should.Throw<GoldenMismatchException>(() => Golden.Match("one\nTWO\n", "a.txt", caller, update: false));

        e.Message.ShouldContain("line 2");
        e.Message.ShouldContain("expected: two");
        e.Message.ShouldContain("actual:   TWO");
    }

    [Fact]
    public void A_missing_golden_file_fails_and_update_mode_writes_it()
    {
        using var dir = new TempDir();
        var caller = dir.Combine("FakeTests.cs");

        Should.Throw<GoldenMismatchException>(() => Golden.Match("new\n", "b.txt", caller, update: false))
            .Message.ShouldContain(Golden.UpdateVariable);

        Golden.Match("new\n", "b.txt", caller, update: true);

        File.ReadAllText(dir.Combine("Golden", "b.txt")).ShouldBe("new\n");
        Golden.Match("new\n", "b.txt", caller, update: false);
    }
}
