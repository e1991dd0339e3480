using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Auth.Sso;

namespace Ferry.Auth.Tests.Sso;

/// <summary>Keys generated per test and ID tokens signed with them, the way a provider signs them.</summary>
internal sealed class TestSigner : IDisposable
{
    public const string Issuer = "https://idp.example.com";
    public const string ClientId = "ferry-cluster";
    public const string Nonce = "n-0S6_WzA2Mj";

    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    private TestSigner(string kid, RSA? rsa, ECDsa? ec)
    {
        Kid = kid;
        _rsa = rsa;
        _ec = ec;
    }

    public string Kid { get; }

    public static TestSigner Rsa(string kid = "rsa-1") => new(kid, RSA.Create(2048), null);

    public static TestSigner EcP256(string kid = "ec-1") => new(kid, null, ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public string Alg => _rsa is not null ? "RS256" : "ES256";

    public JsonWebKey PublicJwk()
    {
        if (_rsa is not null)
        {
            var p = _rsa.ExportParameters(false);
            return new JsonWebKey { Kty = "RSA", Kid = Kid, Use = "sig", Alg = "RS256", N = Base64Url.Encode(p.Modulus), E = Base64Url.Encode(p.Exponent) };
        }

        var q = _ec!.ExportParameters(false).Q;
        return new JsonWebKey { Kty = "EC", Kid = Kid, Use = "sig", Crv = "P-256", X = Base64Url.Encode(q.X), Y = Base64Url.Encode(q.Y) };
    }

    public VerificationKey Key() => VerificationKey.TryCreate(PublicJwk())!;

    /// <summary>Standard claims for <paramref name="now"/>; <paramref name="edit"/> changes them before signing.</summary>
    public static JsonObject Claims(DateTimeOffset now, Action<JsonObject>? edit = null)
    {
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = "248289761001",
            ["aud"] = ClientId,
            ["nonce"] = Nonce,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
            ["email"] = "alice@example.com",
            ["groups"] = new JsonArray("db-admins", "staff"),
        };
        edit?.Invoke(claims);
        return claims;
    }

    public string Sign(JsonObject claims, JsonObject? header = null)
    {
        header ??= new JsonObject { ["alg"] = Alg, ["kid"] = Kid, ["typ"] = "JWT" };
        var signingInput = Part(header) + "." + Part(claims);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = _rsa is not null
            ? _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : _ec!.SignData(data, HashAlgorithmName.SHA256);
        return signingInput + "." + Base64Url.Encode(signature);
    }

    public static string Part(JsonObject o) => Base64Url.Encode(Encoding.UTF8.GetBytes(o.ToJsonString()));

    public void Dispose()
    {
        _rsa?.Dispose();
        _ec?.Dispose();
    }
}

/// <summary>A key source with a current set and the set a refetch finds; counts refetches.</summary>
internal sealed class StaticKeys(IReadOnlyList<VerificationKey> current, IReadOnlyList<VerificationKey>? afterRefresh = null) : IVerificationKeySource
{
    private IReadOnlyList<VerificationKey> _current = current;

    public int Refreshes { get; private set; }

    public ValueTask<IReadOnlyList<VerificationKey>> GetKeysAsync(bool refresh, CancellationToken ct)
    {
        if (refresh)
        {
            Refreshes++;
            _current = afterRefresh ?? _current;
        }

        return ValueTask.FromResult(_current);
    }
}
