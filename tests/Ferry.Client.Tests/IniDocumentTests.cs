namespace Ferry.Client.Tests;

public sealed class IniDocumentTests
{
    private const string Existing = """
        # my services
        [prod]
        host=db.example.com
        # keep this comment
        port=5432

        [ferry-pg1]
        host=old
        port=1

        [other]
        dbname=x
        """;

    private static IEnumerable<KeyValuePair<string, string>> Pairs(params string[] kv) =>
        kv.Select(s => new KeyValuePair<string, string>(s[..s.IndexOf('=')], s[(s.IndexOf('=') + 1)..]));

    [Fact]
    public void Parse_ThenToString_GivesTheSameText()
    {
        var text = Existing + "\n";
        Assert.Equal(text, IniDocument.Parse(text).ToString());
    }

    [Fact]
    public void Set_ExistingSection_ReplacesOnlyItsBodyAndKeepsTheOthersByteForByte()
    {
        var doc = IniDocument.Parse(Existing + "\n");
        doc.Set("ferry-pg1", Pairs("host=127.0.0.1", "port=3080", "sslmode=verify-full"));
        var text = doc.ToString();
        Assert.StartsWith("# my services\n[prod]\nhost=db.example.com\n# keep this comment\nport=5432\n\n[ferry-pg1]\nhost=127.0.0.1\nport=3080\nsslmode=verify-full\n\n[other]\ndbname=x\n", text);
        Assert.DoesNotContain("host=old", text);
        Assert.Equal(["prod", "ferry-pg1", "other"], doc.Sections);
    }

    [Fact]
    public void Set_NewSection_IsAppendedAfterABlankLine()
    {
        var doc = IniDocument.Parse("[a]\nx=1\n");
        doc.Set("client_ferry-my1", Pairs("host=h", "port=3036"));
        Assert.Equal("[a]\nx=1\n\n[client_ferry-my1]\nhost=h\nport=3036\n", doc.ToString());
    }

    [Fact]
    public void Set_OnEmptyFile_WritesOnlyTheSection()
    {
        var doc = IniDocument.Parse("");
        doc.Set("ferry-pg1", Pairs("host=h"));
        Assert.Equal("[ferry-pg1]\nhost=h\n", doc.ToString());
    }

    [Fact]
    public void Remove_DropsTheSectionAndLeavesTheRestIntact()
    {
        var doc = IniDocument.Parse(Existing + "\n");
        Assert.True(doc.Remove("ferry-pg1"));
        Assert.Equal("# my services\n[prod]\nhost=db.example.com\n# keep this comment\nport=5432\n\n[other]\ndbname=x\n", doc.ToString());
        Assert.False(doc.Remove("ferry-pg1"));
    }

    [Fact]
    public void SetThenRemove_OfANewSection_RestoresTheOriginalText()
    {
        var original = Existing + "\n";
        var doc = IniDocument.Parse(original);
        doc.Set("ferry-new", Pairs("host=h"));
        doc.Remove("ferry-new");
        Assert.Equal(original, doc.ToString());
    }

    [Fact]
    public void Get_ReturnsPairsWithoutComments()
    {
        var pairs = IniDocument.Parse(Existing).Get("prod");
        Assert.NotNull(pairs);
        Assert.Equal([new("host", "db.example.com"), new("port", "5432")], pairs);
        Assert.Null(IniDocument.Parse(Existing).Get("missing"));
    }

    [Fact]
    public void CrLfFiles_KeepCrLf()
    {
        var doc = IniDocument.Parse("[a]\r\nx=1\r\n");
        doc.Set("b", Pairs("y=2"));
        Assert.Equal("[a]\r\nx=1\r\n\r\n[b]\r\ny=2\r\n", doc.ToString());
    }

    [Fact]
    public void Save_KeepsTheModeOfAnExistingFile_AndCreatesNewFilesOwnerOnly()
    {
        using var dir = new TempDirectory();
        var existing = Path.Combine(dir.Path, "pg_service.conf");
        File.WriteAllText(existing, "[a]\nx=1\n");
        File.SetUnixFileMode(existing, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var doc = IniDocument.Load(existing);
        doc.Set("ferry-pg1", Pairs("host=h"));
        doc.Save(existing);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(existing));
        Assert.Equal("[a]\nx=1\n\n[ferry-pg1]\nhost=h\n", File.ReadAllText(existing));

        var fresh = Path.Combine(dir.Path, "my.cnf");
        IniDocument.Load(fresh).Save(fresh);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fresh));
    }
}
