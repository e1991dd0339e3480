using System.Text.Json;

namespace Ferry.Contracts.Tests;

/// <summary>
/// One inventory record serves the heartbeat and the HTTP API; each keeps the JSON it had when they were two
/// types (a heartbeat always carries <c>server_version</c> and never <c>agents</c>; the API leaves out what is null).
/// </summary>
public sealed class DatabaseEntryWireTests
{
    [Fact]
    public void Heartbeat_IsWrittenAsBefore()
    {
        var heartbeat = new AgentHeartbeat
        {
            AgentId = "a1",
            Version = "1.0",
            Databases = [new DatabaseEntry { Name = "pg1", Protocol = "postgres", Labels = new() { ["env"] = "dev" }, ServerVersion = "" }],
        };

        var json = JsonSerializer.Serialize(heartbeat, TransportJsonContext.Default.AgentHeartbeat);

        Assert.Equal("""{"agent_id":"a1","version":"1.0","databases":[{"name":"pg1","protocol":"postgres","description":"","labels":{"env":"dev"},"server_version":"","healthy":true}]}""", json);
    }

    [Fact]
    public void Heartbeat_AsBefore_IsRead()
    {
        var json = """{"agent_id":"a1","version":"1.0","databases":[{"name":"my1","protocol":"mysql","description":"d","labels":{"env":"dev"},"server_version":"8.0.36","healthy":false,"health_error":"refused"}]}""";

        var db = Assert.Single(JsonSerializer.Deserialize(json, TransportJsonContext.Default.AgentHeartbeat)!.Databases);

        Assert.Equal(("my1", "mysql", "d", "dev", "8.0.36", false, "refused"), (db.Name, db.Protocol, db.Description, db.Labels["env"], db.ServerVersion, db.Healthy, db.HealthError));
        Assert.Null(db.Agents);
    }

    [Fact]
    public void ApiListing_IsWrittenAsBefore()
    {
        var full = new DatabaseEntry
        {
            Name = "pg1",
            Protocol = "postgres",
            Description = "d",
            Labels = new() { ["env"] = "dev" },
            DbUsers = ["alice"],
            DbNames = ["app"],
            ServerVersion = "8.0",
            Healthy = false,
            HealthError = "down",
            Agents = 2,
        };
        var bare = new DatabaseEntry { Name = "pg2", Protocol = "postgres", Agents = 1 };

        var json = JsonSerializer.Serialize(new DatabasesResponse { Databases = [full, bare] }, AuthApiJsonContext.Default.DatabasesResponse);

        Assert.Equal(
            """{"databases":[{"name":"pg1","protocol":"postgres","description":"d","labels":{"env":"dev"},"db_users":["alice"],"db_names":["app"],"server_version":"8.0","healthy":false,"health_error":"down","agents":2},"""
            + """{"name":"pg2","protocol":"postgres","description":"","labels":{},"healthy":true,"agents":1}]}""",
            json);
    }
}

/// <summary>
/// A field a sender leaves out keeps the record's default when read (the source-generated reader would otherwise set
/// every init-only property it did not see to its type's default: a null <c>labels</c> map and <c>healthy: false</c>).
/// </summary>
public sealed class DatabaseEntryDefaultsTests
{
    [Fact]
    public void AnEntryWithOnlyAName_ReadsWithTheDefaults_InTheHeartbeatAndTheApi()
    {
        var fromHeartbeat = Assert.Single(JsonSerializer.Deserialize("""{"agent_id":"a1","databases":[{"name":"pg1"}]}""", TransportJsonContext.Default.AgentHeartbeat)!.Databases);
        var fromApi = Assert.Single(JsonSerializer.Deserialize("""{"databases":[{"name":"pg1"}]}""", AuthApiJsonContext.Default.AgentDatabasesReport)!.Databases);

        foreach (var db in new[] { fromHeartbeat, fromApi })
        {
            Assert.Equal("", db.Protocol);
            Assert.Equal("", db.Description);
            Assert.NotNull(db.Labels);
            Assert.Empty(db.Labels);
            Assert.True(db.Healthy);
        }
    }

    [Fact]
    public void AHeartbeatWithOnlyTheAgentId_ReadsWithTheDefaults()
    {
        var heartbeat = JsonSerializer.Deserialize("""{"agent_id":"a1"}""", TransportJsonContext.Default.AgentHeartbeat)!;

        Assert.Equal("", heartbeat.Version);
        Assert.NotNull(heartbeat.Databases);
        Assert.Empty(heartbeat.Databases);
    }
}
