using System.Net;
using System.Net.Http.Json;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

/// <summary>
/// Bodies with a JSON null where the contract has a value (a list, an entry of a list, a field, a label's value): the
/// reports hosts send (an agent's databases, live sessions and egress usage; a proxy's inventory), a join and an access
/// request. Each is refused with 400 saying what was wrong, never a 500, and the next well-formed request is taken as
/// before (a refused join does not spend its token).
/// </summary>
public sealed class HostReportNullsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string, string> Bodies => new()
    {
        { "agent", "/v1/agents/databases", """{"databases":null}""" },
        { "agent", "/v1/agents/databases", """{"databases":[null]}""" },
        { "agent", "/v1/agents/databases", """{"databases":[{"name":null,"protocol":"postgres"}]}""" },
        { "agent", "/v1/agents/databases", """{"databases":[{"name":"pg9","protocol":null}]}""" },
        { "agent", "/v1/agents/databases", """{"databases":[{"name":"pg9","protocol":"postgres","labels":null}]}""" },
        { "agent", "/v1/agents/databases", """{"databases":[{"name":"pg9","protocol":"postgres","labels":{"env":null}}]}""" },
        { "agent", "/v1/agents/databases", """{"databases":[{"name":"pg9","protocol":"postgres","description":null}]}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":null}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":[null]}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":[{"id":null,"user":"alice","database":"pg1"}]}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":[{"id":"s1","user":null,"database":"pg1"}]}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":[{"id":"s1","user":"alice","database":null}]}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":[{"id":"s1","user":"alice","database":"pg1","roles":null}]}""" },
        { "agent", "/v1/agents/sessions", """{"sessions":[{"id":"s1","user":"alice","database":"pg1","roles":[null]}]}""" },
        { "agent", "/v1/egress", """{"usage":null}""" },
        { "agent", "/v1/egress", """{"usage":[null]}""" },
        { "agent", "/v1/egress", """{"usage":[{"user":null,"database":"pg1","per_seconds":60}]}""" },
        { "agent", "/v1/egress", """{"usage":[{"user":"alice","database":null,"per_seconds":60}]}""" },
        { "agent", "/v1/egress", """{"usage":[{"user":"alice","database":"pg1","per_seconds":60,"grant":null}]}""" },
        { "proxy", "/v1/inventory", """{"databases":null}""" },
        { "proxy", "/v1/inventory", """{"databases":[null]}""" },
        { "proxy", "/v1/inventory", """{"databases":[{"name":null,"protocol":"postgres"}]}""" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task AReportWithANullWhereAValueMustBe_IsRefusedWith400_AndTheNextReportIsTaken(string role, string path, string body)
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var proxy = AuthTestHost.Client(server, proxyCert);
        HttpClient host = role == "agent" ? agent : proxy;

        using var refusals = new RefusalCounter("auth", "bad_request");
        using var response = await host.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("null", await AuthTestHost.ErrorAsync(response), StringComparison.Ordinal);
        Assert.True(refusals.Count >= 1, "the refusal is counted (ferry_refusals_total{side=auth,reason=bad_request}) and logged");
        await server.FlushAuditAsync();
        var audited = Assert.Single(server.AuditStore.Search(new Ferry.Audit.AuditQuery { Type = Ferry.Audit.AuditEventTypes.ApiRequest }));
        Assert.Equal(("TJ006W", false, "127.0.0.1", "bad_request"), (audited.Code, audited.Success, audited.ClientAddr, audited.Details!["reason"]));
        Assert.Contains("POST " + path, audited.Error, StringComparison.Ordinal);

        // The same host's well-formed report is still taken, and what was registered before is unchanged.
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);
        using var inventory = await proxy.PostAsJsonAsync("/v1/inventory", new InventoryReport { Databases = [new DatabaseEntry { Name = "pg1", Protocol = "postgres" }] }, AuthApiJsonContext.Default.InventoryReport);
        Assert.True(inventory.IsSuccessStatusCode, $"{(int)inventory.StatusCode}");
        using var sessions = await agent.PostAsJsonAsync("/v1/agents/sessions", new LiveSessionsReport(), AuthApiJsonContext.Default.LiveSessionsReport);
        Assert.True(sessions.IsSuccessStatusCode, $"{(int)sessions.StatusCode}");
    }

    /// <summary>
    /// Fields a report leaves out take their defaults (no labels, an empty description, healthy): before, the reader
    /// left them null and the registration answered 500. An entry without a protocol is refused by name.
    /// </summary>
    [Fact]
    public async Task AReportWithFieldsLeftOut_IsTakenWithTheDefaults_AndAnEntryWithoutAProtocolIsRefusedByName()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var proxy = AuthTestHost.Client(server, proxyCert);

        using var minimal = await agent.PostAsync("/v1/agents/databases", new StringContent(
            """{"databases":[{"name":"pg1","protocol":"postgres"},{"name":"pg2"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, minimal.StatusCode);
        var answer = (await minimal.Content.ReadFromJsonAsync(AuthApiJsonContext.Default.AgentDatabasesResponse))!;
        Assert.Equal(["pg1"], answer.Accepted);
        Assert.Contains("protocol", answer.Refused["pg2"], StringComparison.Ordinal);

        using var inventory = await proxy.PostAsync("/v1/inventory", new StringContent(
            """{"databases":[{"name":"pg1","protocol":"postgres"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(inventory.IsSuccessStatusCode, $"{(int)inventory.StatusCode}: {await inventory.Content.ReadAsStringAsync()}");
        var registered = Assert.Single(server.Service.Inventory.Current(), d => d.Name == "pg1");
        Assert.Equal(("", 0, true), (registered.Description, registered.Labels.Count, registered.Healthy));
    }

    [Theory]
    [InlineData("""{"token":"TOKEN","host_id":"agent9","role":"agent","public_key_pem":"KEY","dns_names":[null]}""")]
    [InlineData("""{"token":"TOKEN","host_id":"agent9","role":"agent","public_key_pem":"KEY","ips":["127.0.0.1",null]}""")]
    [InlineData("""{"token":"TOKEN","host_id":null,"role":"agent","public_key_pem":"KEY"}""")]
    [InlineData("""{"token":null,"host_id":"agent9","role":"agent","public_key_pem":"KEY"}""")]
    public async Task AJoinWithANull_IsRefusedWith400_AndDoesNotSpendItsToken(string template)
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        var token = (await server.Service.AddTokenAsync("agent", TimeSpan.FromMinutes(5), false, "test")).Token!;
        using var key = Ferry.Identity.KeyPair.Generate();
        using var client = AuthTestHost.Client(server);
        var body = template.Replace("TOKEN", token, StringComparison.Ordinal)
            .Replace("KEY", System.Text.Json.JsonEncodedText.Encode(key.ExportPublicKeyPem()).ToString(), StringComparison.Ordinal);

        using var response = await client.PostAsync("/v1/join", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("null", await AuthTestHost.ErrorAsync(response), StringComparison.Ordinal);
        using var joined = await client.PostAsJsonAsync("/v1/join", new JoinRequest
        {
            Token = token, HostId = "agent9", Role = "agent", PublicKeyPem = key.ExportPublicKeyPem(), DnsNames = ["agent9.example"], Ips = ["127.0.0.1"],
        }, AuthApiJsonContext.Default.JoinRequest);
        Assert.True(joined.IsSuccessStatusCode, $"{(int)joined.StatusCode}: {await joined.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("""{"roles":[null],"reason":"incident 7"}""")]
    [InlineData("""{"roles":["dba"],"reviewers":[null],"reason":"incident 7"}""")]
    [InlineData("""{"roles":["dba"],"reason":null}""")]
    [InlineData("""{"roles":null,"reason":"incident 7"}""")]
    public async Task AnAccessRequestWithANull_IsRefusedWith400(string body)
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var cert = await HostScope.LoginAsync(server, "alice", password, secret);
        using var user = AuthTestHost.Client(server, cert);

        using var response = await user.PostAsync("/v1/access-requests", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("null", await AuthTestHost.ErrorAsync(response), StringComparison.Ordinal);
    }

    /// <summary>Counts <c>ferry_refusals_total</c> measurements with one side and reason while it lives.</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public RefusalCounter(string side, string reason)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Ferry.Diagnostics.FerryMetrics.MeterName && instrument.Name == "ferry_refusals_total")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? s = null, r = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "side")
                    {
                        s = tag.Value as string;
                    }
                    else if (tag.Key == "reason")
                    {
                        r = tag.Value as string;
                    }
                }

                if (s == side && r == reason)
                {
                    Interlocked.Add(ref _count, value);
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
