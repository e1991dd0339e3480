using YamlDotNet.RepresentationModel;

namespace Ferry.Config.Tests;

public sealed class StrictYamlTests
{
    [Theory]
    [InlineData("auth:\n  listen_addr: [\n", "f.yaml:3:1: invalid YAML: While parsing a node, did not find expected node content.")]
    [InlineData("a: 1\na: 2\n", "f.yaml:2:1: invalid YAML: Duplicate key a")]
    public void SyntaxError_IsFileLineColumnAndYamlDotNetsReason(string yaml, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));
        Assert.Equal(expected, ex.Message);
    }

    [Theory]
    [InlineData("k:", true)]
    [InlineData("k: ~", true)]
    [InlineData("k: null", true)]
    [InlineData("k: Null", true)]
    [InlineData("k: NULL", true)]
    [InlineData("k: \"null\"", false)]
    [InlineData("k: ''", false)]
    [InlineData("k: |\n  null\n", false)]
    [InlineData("k: nil", false)]
    public void Nulls_AreThePlainYaml12Ones(string yaml, bool isNull)
    {
        Assert.True(StrictYaml.TryLoad(yaml, out var stream, out _));
        var value = ((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("k")];
        Assert.Equal(isNull, StrictYaml.IsNull(value));
    }

    [Fact]
    public void At_NamesSourceLineColumnAndPath_OrOmitsAnEmptyPath()
    {
        Assert.Equal("r.yaml:7:5: allow.db_users: bad", StrictYaml.At("r.yaml", 7, 5, "allow.db_users", "bad"));
        Assert.Equal("r.yaml:1:1: bad", StrictYaml.At("r.yaml", 1, 1, "", "bad"));
    }
}
