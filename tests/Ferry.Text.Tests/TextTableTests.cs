namespace Ferry.Text.Tests;

public sealed class TextTableTests
{
    [Fact]
    public void Columns_AreAlignedTwoSpacesApart_WithoutTrailingSpaces()
    {
        var table = new TextTable("NAME", "PROTOCOL", "NOTE").Add("orders", "postgres", "").Add("a", "mysql", "primary");
        Assert.Equal("NAME    PROTOCOL  NOTE\norders  postgres\na       mysql     primary\n", table.ToString());
    }

    [Fact]
    public void Underlined_PutsDashesUnderEachHeader_AndFillsShortRows()
    {
        var text = TextTable.RenderUnderlined(["ID", "KIND"], [["lock-1", "user"], ["x"]]);
        Assert.Equal("ID      KIND\n------  ----\nlock-1  user\nx\n", text);
    }

    [Fact]
    public void Write_WritesTheSameText()
    {
        var table = new TextTable("A", "B").Add("1", "2");
        using var w = new StringWriter();
        table.Write(w);
        Assert.Equal(table.ToString(), w.ToString());
    }
}
