using System.Text;
using Fleet.Workers;

namespace Fleet.Tests.Workers;

public sealed class LineSplitterTests
{
    private static List<string> Split(params string[] chunks)
    {
        var lines = new List<string>();
        var splitter = new LineSplitter(line => lines.Add(Encoding.UTF8.GetString(line)));
        foreach (var chunk in chunks)
        {
            splitter.Feed(Encoding.UTF8.GetBytes(chunk));
        }

        splitter.Complete();
        return lines;
    }

    [Fact]
    public void Lines_split_across_chunks_are_joined()
    {
        Split("{\"a\":", "1}\n{\"b\"", ":2}\n").ShouldBe(["{\"a\":1}", "{\"b\":2}"]);
    }

    [Fact]
    public void Several_lines_in_one_chunk_are_each_handed_over()
    {
        Split("a\nb\nc\n").ShouldBe(["a", "b", "c"]);
    }

    [Fact]
    public void Crlf_endings_and_empty_lines_are_handled()
    {
        Split("a\r\n\nb\r", "\n").ShouldBe(["a", string.Empty, "b"]);
    }

    [Fact]
    public void A_last_line_without_a_newline_is_handed_over_at_the_end()
    {
        Split("a\nlast").ShouldBe(["a", "last"]);
        Split(string.Empty).ShouldBeEmpty();
    }
}
