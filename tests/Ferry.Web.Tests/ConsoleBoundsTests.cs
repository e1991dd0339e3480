using System.Text;
using Ferry.Web.Consoles;

namespace Ferry.Web.Tests;

public sealed class ConsoleBoundsTests
{
    [Fact]
    public void Result_KeepsRowsUpToTheRowLimit_AndCountsTheRest()
    {
        var result = new ConsoleResult();
        for (var i = 0; i < 25; i++)
        {
            result.AddRow(["x"], 10, maxRows: 10, maxBytes: 1_000_000);
        }

        Assert.Equal(10, result.Rows.Count);
        Assert.Equal(25, result.RowCount);
        Assert.True(result.Truncated);
    }

    [Fact]
    public void Result_KeepsRowsUpToTheByteLimit()
    {
        var result = new ConsoleResult();
        for (var i = 0; i < 10; i++)
        {
            result.AddRow(["x"], 100, maxRows: 1000, maxBytes: 350);
        }

        Assert.Equal(3, result.Rows.Count);
        Assert.Equal(10, result.RowCount);
        Assert.True(result.Truncated);
    }

    [Fact]
    public void Csv_QuotesFieldsWithSeparatorsQuotesAndNewlines_AndLeavesNullEmpty()
    {
        var csv = new StringBuilder();
        WebUi.AppendCsvLine(csv, ["plain", "a,b", "say \"hi\"", "two\nlines", null, ""]);
        Assert.Equal("plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\r\n", csv.ToString());
    }

    [Theory]
    [InlineData("it's", false, "'it''s'")]
    [InlineData("a\\'b", true, "'a\\\\''b'")]
    [InlineData("a\\'b", false, "'a\\''b'")]
    public void CatalogLiterals_CannotBeEscaped(string value, bool mysql, string expected) =>
        Assert.Equal(expected, WebUi.Literal(value, mysql));

    [Fact]
    public void SchemaObjectNames_AreBounded()
    {
        Assert.Equal(("public", "t"), WebUi.SplitObject("public.t"));
        Assert.Equal((null, "t"), WebUi.SplitObject("t"));
        Assert.Throws<WebApiException>(() => WebUi.SplitObject(new string('a', 300)));
        Assert.Throws<WebApiException>(() => WebUi.SplitObject("a\nb"));
    }

    [Fact]
    public void RowDescription_GivesNamesAndTypes()
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        var body = new List<byte> { 0, 2 };
        foreach (var (name, oid) in new[] { ("id", 23), ("note", 25) })
        {
            body.AddRange(Encoding.UTF8.GetBytes(name));
            body.Add(0);
            body.AddRange(new byte[4 + 2]);
            body.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(oid)));
            body.AddRange(new byte[2 + 4 + 2]);
        }

        var (columns, types) = PostgresConsole.ReadColumns(new System.Buffers.ReadOnlySequence<byte>(body.ToArray()));
        Assert.Equal(["id", "note"], columns.Select(c => c.Name));
        Assert.Equal(["int4", "text"], columns.Select(c => c.Type));
        Assert.Equal([23, 25], types);
        Assert.Throws<Ferry.Protocol.Postgres.PostgresProtocolException>(() => PostgresConsole.ReadColumns(new System.Buffers.ReadOnlySequence<byte>(body.ToArray()[..^3])));
        _ = w;
    }
}
