using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Ferry.Audit;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

/// <summary>
/// Every endpoint that reads a body, called by the caller it expects (anyone, a user, an agent, a proxy) with
/// variations of a complete body: each field left out, null, of each other JSON kind, empty, very long, a huge or
/// negative number; each entry of a list the same way; and bodies that are not objects at all. None may answer 500
/// (a 500 is a request the server did not understand as wrong: the bug class of a null or a missing field reaching
/// code that takes a value), and the server answers a well-formed request afterwards.
/// </summary>
public sealed class ApiBodySweepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task NoVariationOfAnyRequestBody_IsAnswered500()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var userCert = await HostScope.LoginAsync(server, "alice", password, secret);
        using var user = AuthTestHost.Client(server, userCert);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var proxy = AuthTestHost.Client(server, proxyCert);
        using var anyone = AuthTestHost.Client(server);
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);

        var now = DateTimeOffset.UtcNow;
        var auditEvents = JsonSerializer.SerializeToNode(new List<AuditEvent>
        {
            new()
            {
                Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code,
                User = "alice", DbService = "pg1", DbUser = "alice", DbName = "app", SessionId = "s1", Query = "SELECT 1", Roles = ["admin"],
                Details = new Dictionary<string, string> { ["k"] = "v" },
            },
        }, AuditJsonContext.Default.ListAuditEvent)!;

        // Samples with values the server takes where it checks them first, so that variations of one field reach the
        // code after the others' checks (a sample refused for its protocol never reads its labels).
        using var key = Ferry.Identity.KeyPair.Generate();
        var login = Sample(AuthApiJsonContext.Default.LoginRequest);
        login["user"] = "alice";
        login["public_key_pem"] = key.ExportPublicKeyPem();
        login["ttl_seconds"] = 3600;
        var agentDatabases = Sample(AuthApiJsonContext.Default.AgentDatabasesReport);
        Set(agentDatabases["databases"]![0]!, ("name", "pg1"), ("protocol", "postgres"));
        var inventory = Sample(AuthApiJsonContext.Default.InventoryReport);
        Set(inventory["databases"]![0]!, ("name", "pg1"), ("protocol", "postgres"));
        inventory["tunnel_addr"] = "127.0.0.1:3024";
        var sessions = Sample(AuthApiJsonContext.Default.LiveSessionsReport);
        Set(sessions["sessions"]![0]!, ("id", "s1"), ("user", "alice"), ("database", "pg1"), ("protocol", "postgres"), ("agent_id", "agent1"), ("client_addr", "127.0.0.1:5000"));
        var egress = Sample(AuthApiJsonContext.Default.EgressReport);
        Set(egress["usage"]![0]!, ("user", "alice"), ("database", "pg1"), ("per_seconds", 3600));
        var accessRequest = Sample(AuthApiJsonContext.Default.AccessRequestCreate);
        accessRequest["roles"] = new JsonArray("admin");
        accessRequest["resources"] = new JsonArray();
        accessRequest["duration_seconds"] = 600;
        var endSession = Sample(AuthApiJsonContext.Default.SessionEndRequest);

        var endpoints = new (HttpClient Caller, string Path, JsonNode Body)[]
        {
            (anyone, "/v1/login", login),
            (user, "/v1/certs/user", Sample(AuthApiJsonContext.Default.UserCertificateRequest)),
            (anyone, "/v1/join", Sample(AuthApiJsonContext.Default.JoinRequest)),
            (agent, "/v1/hosts/renew", Sample(AuthApiJsonContext.Default.HostRenewRequest)),
            (agent, "/v1/db-certs", Sample(AuthApiJsonContext.Default.DbCertificateRequest)),
            (proxy, "/v1/inventory", inventory),
            (agent, "/v1/agents/databases", agentDatabases),
            (agent, "/v1/agents/sessions", sessions),
            (agent, "/v1/egress", egress),
            (agent, "/v1/audit/events", auditEvents),
            (anyone, "/v1/sso/none/login", Sample(AuthApiJsonContext.Default.SsoLoginRequest)),
            (anyone, "/v1/sso/result", Sample(AuthApiJsonContext.Default.SsoResultRequest)),
            (user, "/v1/mfa/devices", Sample(AuthApiJsonContext.Default.MfaDeviceRequest)),
            (user, "/v1/mfa/devices/confirm", Sample(AuthApiJsonContext.Default.MfaDeviceRequest)),
            (user, "/v1/mfa/devices/delete", Sample(AuthApiJsonContext.Default.MfaDeviceRequest)),
            (user, "/v1/access-requests", accessRequest),
            (user, "/v1/access-requests/01J0000000000000000000000/review", Sample(AuthApiJsonContext.Default.AccessRequestReview)),
            (user, "/v1/access-requests/01J0000000000000000000000/drop", Sample(AuthApiJsonContext.Default.AccessRequestDrop)),
            (user, "/v1/sessions/s1/end", endSession),
        };

        var failures = new List<string>();
        var sent = 0;
        foreach (var (caller, path, body) in endpoints)
        {
            var statuses = new SortedDictionary<int, int>();
            foreach (var variant in Variants(body))
            {
                sent++;
                using var response = await caller.PostAsync(path, new StringContent(variant, Encoding.UTF8, "application/json"));
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500)
                {
                    failures.Add($"{path} {status} for {Shorten(variant)}: {Shorten(await response.Content.ReadAsStringAsync())}");
                }
            }

            // The caller is who the endpoint expects: the bodies reached the code that reads them (not all 401/403).
            Assert.True(statuses.Keys.Any(s => s is not (401 or 403)), $"{path}: only {string.Join(", ", statuses.Keys)}");
            Console.WriteLine($"{path}: {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} bodies answered 5xx:\n{string.Join('\n', failures.Take(40))}");
        Assert.True(sent > 500, $"only {sent} bodies sent");
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);
    }

    private static void Set(JsonNode node, params (string Name, JsonNode? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            Assert.True(node.AsObject().ContainsKey(name), $"the sample has no \"{name}\"");
            node[name] = value;
        }
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    /// <summary>A body with every property set to a plausible value of its type (lists with one entry, maps with one key).</summary>
    private static JsonNode Sample<T>(JsonTypeInfo<T> type) => SampleOf(type.Type, 0)!;

    private static JsonNode? SampleOf(Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(uint) || type == typeof(ulong))
        {
            return 1;
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return 1.5;
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return DateTimeOffset.UtcNow.ToString("O");
        }

        if (type == typeof(byte[]))
        {
            return "AAEC";
        }

        if (type.IsEnum)
        {
            return Enum.GetNames(type)[0];
        }

        // Lists and maps of strings have the API's own converters (their type info is opaque): by their CLR type.
        if (type.IsGenericType && type.GetGenericArguments() is [var only] && only == typeof(string) && typeof(IEnumerable<string>).IsAssignableFrom(type))
        {
            return new JsonArray("x");
        }

        if (type.IsGenericType && type.GetGenericArguments() is [var k, var v] && k == typeof(string) && v == typeof(string))
        {
            return new JsonObject { ["k"] = "v" };
        }

        if (depth > 4)
        {
            return null;
        }

        var info = AuthApiJsonContext.Default.GetTypeInfo(type);
        if (info is null)
        {
            return "x";
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Enumerable:
                return new JsonArray(SampleOf(info.ElementType!, depth + 1));
            case JsonTypeInfoKind.Dictionary:
                return new JsonObject { ["k"] = SampleOf(info.ElementType!, depth + 1) };
            case JsonTypeInfoKind.Object:
                var o = new JsonObject();
                foreach (var p in info.Properties)
                {
                    o[p.Name] = SampleOf(p.PropertyType, depth + 1);
                }

                return o;
            default:
                return "x";
        }
    }

    /// <summary>The body as it is, then each node of it replaced (or, in an object, left out) in each way.</summary>
    private static IEnumerable<string> Variants(JsonNode body)
    {
        yield return body.ToJsonString();
        foreach (var whole in new[] { "", "null", "[]", "{}", "1", "\"x\"", "true", "{\"a\":", new string('[', 5000) + new string(']', 5000), "{\"x\":1}" })
        {
            yield return whole;
        }

        var paths = new List<string>();
        Collect(body, "$", paths);
        foreach (var path in paths)
        {
            yield return Replace(body, path, remove: true, null);
            foreach (var replacement in Replacements())
            {
                yield return Replace(body, path, remove: false, replacement);
            }
        }
    }

    private static IEnumerable<JsonNode?> Replacements() =>
    [
        null,
        JsonValue.Create(""),
        JsonValue.Create(new string('a', 3000)),
        JsonValue.Create("\u0000\uffff../../etc/passwd"),
        JsonValue.Create(-1),
        JsonValue.Create(0),
        JsonValue.Create(long.MaxValue),
        JsonValue.Create(1e308),
        JsonValue.Create(true),
        new JsonArray(),
        new JsonArray(JsonValue.Create((string?)null)),
        new JsonObject(),
        new JsonObject { ["k"] = null },
    ];

    private static void Collect(JsonNode? node, string path, List<string> paths)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    var p = path + "." + key;
                    paths.Add(p);
                    Collect(child, p, paths);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var p = path + "[" + i + "]";
                    paths.Add(p);
                    Collect(a[i], p, paths);
                }

                break;
        }
    }

    /// <summary>A copy of <paramref name="body"/> with the node at <paramref name="path"/> removed or replaced.</summary>
    private static string Replace(JsonNode body, string path, bool remove, JsonNode? replacement)
    {
        var copy = body.DeepClone();
        var steps = Steps(path);
        JsonNode parent = copy;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            parent = steps[i] is int index ? parent.AsArray()[index]! : parent.AsObject()[(string)steps[i]]!;
        }

        var last = steps[^1];
        if (last is int at)
        {
            var array = parent.AsArray();
            if (remove)
            {
                array.RemoveAt(at);
            }
            else
            {
                array[at] = replacement?.DeepClone();
            }
        }
        else
        {
            var obj = parent.AsObject();
            if (remove)
            {
                obj.Remove((string)last);
            }
            else
            {
                obj[(string)last] = replacement?.DeepClone();
            }
        }

        return copy.ToJsonString();
    }

    private static List<object> Steps(string path)
    {
        var steps = new List<object>();
        var i = 1; // after '$'
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] != '.' && path[end] != '[')
                {
                    end++;
                }

                steps.Add(path[(i + 1)..end]);
                i = end;
            }
            else
            {
                var end = path.IndexOf(']', i);
                steps.Add(int.Parse(path[(i + 1)..end], System.Globalization.CultureInfo.InvariantCulture));
                i = end + 1;
            }
        }

        return steps;
    }
}
