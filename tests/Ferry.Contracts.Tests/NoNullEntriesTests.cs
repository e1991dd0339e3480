using System.Text.Json;

namespace Ferry.Contracts.Tests;

/// <summary>
/// The API's lists and maps of strings: written as the serializer writes them, read back the same, and a JSON null
/// entry or value refused where the code after the reader would take it as a string.
/// </summary>
public sealed class NoNullEntriesTests
{
    [Fact]
    public void ListsAndMapsOfStrings_AreWrittenWithTheSerializersEscaping_AndReadBackTheSame()
    {
        var entry = new DatabaseEntry
        {
            Name = "pg1",
            Protocol = "postgres",
            Labels = new() { ["env"] = "prod \"eu\" <1>", ["owner/é"] = "data&ops" },
            DbUsers = ["alice", "o'brien", "日本"],
        };

        string json = JsonSerializer.Serialize(entry, AuthApiJsonContext.Default.DatabaseEntry);
        DatabaseEntry back = JsonSerializer.Deserialize(json, AuthApiJsonContext.Default.DatabaseEntry)!;

        Assert.Contains("""
            "labels":{"env":"prod \u0022eu\u0022 \u003C1\u003E","owner/\u00E9":"data\u0026ops"},"db_users":["alice","o\u0027brien","\u65E5\u672C"]
            """, json, StringComparison.Ordinal);
        Assert.Equal(entry.Labels, back.Labels);
        Assert.Equal(entry.DbUsers, back.DbUsers);
    }

    [Theory]
    [InlineData("""{"name":"pg1","db_users":["alice",null]}""", "entry 1 of the list is null")]
    [InlineData("""{"name":"pg1","db_users":["alice",7]}""", "entry 1 of the list is not a string")]
    [InlineData("""{"name":"pg1","db_users":"alice"}""", "expected an array of strings")]
    [InlineData("""{"name":"pg1","labels":{"env":null}}""", "the value of \"env\" is null")]
    [InlineData("""{"name":"pg1","labels":{"env":["prod"]}}""", "the value of \"env\" is not a string")]
    [InlineData("""{"name":"pg1","labels":["env"]}""", "expected an object of strings")]
    [InlineData("""{"name":null}""", "null")]
    public void ANullOrWrongEntry_IsRefused_SayingWhich(string json, string message)
    {
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, AuthApiJsonContext.Default.DatabaseEntry));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingOrNullOptionalList_StaysAsItWas_AndARepeatedLabelKeepsTheLastValue()
    {
        var entry = JsonSerializer.Deserialize("""{"name":"pg1","db_users":null,"labels":{"env":"dev","env":"prod"}}""", AuthApiJsonContext.Default.DatabaseEntry)!;

        Assert.Null(entry.DbUsers);
        Assert.Null(entry.DbNames);
        Assert.Equal("prod", entry.Labels["env"]);
    }
}
