using System.Security.Cryptography;

namespace Ferry.Auth.Sso;

/// <summary>
/// A public key of the provider's JWKS, ready to verify: RSA of 2048 bits or more (RS256/384/512, PS256/384/512) or
/// EC on P-256/P-384/P-521 (ES256/384/512). Keys for encryption (<c>use: enc</c>) and other types are skipped.
/// </summary>
internal sealed class VerificationKey
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    private VerificationKey(string kid, string? alg, RSA? rsa, ECDsa? ec, string? curveAlg)
    {
        Kid = kid;
        Alg = alg;
        _rsa = rsa;
        _ec = ec;
        CurveAlg = curveAlg;
    }

    public string Kid { get; }

    /// <summary>The key's own <c>alg</c>, when the JWKS pins one.</summary>
    public string? Alg { get; }

    /// <summary>For EC keys: the one ES algorithm the curve goes with.</summary>
    private string? CurveAlg { get; }

    /// <summary>The signature algorithms Ferry accepts. <c>none</c> and the HMAC (<c>HS*</c>) ones never are.</summary>
    public static readonly IReadOnlySet<string> AllowedAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    /// <summary>Smallest RSA modulus accepted.</summary>
    public const int MinRsaBits = 2048;

    /// <summary>True when this key can check a signature made with <paramref name="alg"/>.</summary>
    public bool Supports(string alg)
    {
        if (Alg is not null && Alg != alg)
        {
            return false;
        }

        return _rsa is not null ? alg[0] is 'R' or 'P' : CurveAlg == alg;
    }

    public bool Verify(string alg, ReadOnlySpan<byte> signedData, ReadOnlySpan<byte> signature)
    {
        var hash = alg[2..] switch
        {
            "256" => HashAlgorithmName.SHA256,
            "384" => HashAlgorithmName.SHA384,
            _ => HashAlgorithmName.SHA512,
        };
        try
        {
            if (_rsa is not null)
            {
                var padding = alg[0] == 'P' ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                return _rsa.VerifyData(signedData, signature, hash, padding);
            }

            // JWS ES* signatures are R || S (IEEE P1363), .NET's default format.
            return _ec!.VerifyData(signedData, signature, hash);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The usable keys of a JWKS (at most <paramref name="max"/>); skips what it cannot use.</summary>
    public static List<VerificationKey> FromSet(JsonWebKeySet set, int max)
    {
        var keys = new List<VerificationKey>();
        foreach (var jwk in set.Keys ?? [])
        {
            if (keys.Count >= max)
            {
                break;
            }

            if (jwk is not null && TryCreate(jwk) is { } key)
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    public static VerificationKey? TryCreate(JsonWebKey jwk)
    {
        if (jwk.Use is not null && jwk.Use != "sig")
        {
            return null;
        }

        if (jwk.Alg is not null && !AllowedAlgorithms.Contains(jwk.Alg))
        {
            return null;
        }

        try
        {
            switch (jwk.Kty)
            {
                case "RSA":
                {
                    var n = Base64Url.TryDecode(jwk.N);
                    var e = Base64Url.TryDecode(jwk.E);
                    if (n is null || e is null || n.Length == 0 || e.Length == 0 || e.Length > 8)
                    {
                        return null;
                    }

                    var modulus = n.AsSpan().TrimStart((byte)0).ToArray();
                    if (modulus.Length * 8 < MinRsaBits || modulus.Length > 2048)
                    {
                        return null;
                    }

                    var rsa = RSA.Create();
                    rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = e });
                    return new VerificationKey(jwk.Kid ?? "", jwk.Alg, rsa, null, null);
                }

                case "EC":
                {
                    var (curve, alg, size) = jwk.Crv switch
                    {
                        "P-256" => (ECCurve.NamedCurves.nistP256, "ES256", 32),
                        "P-384" => (ECCurve.NamedCurves.nistP384, "ES384", 48),
                        "P-521" => (ECCurve.NamedCurves.nistP521, "ES512", 66),
                        _ => (default(ECCurve), "", 0),
                    };
                    var x = Base64Url.TryDecode(jwk.X);
                    var y = Base64Url.TryDecode(jwk.Y);
                    if (size == 0 || x is null || y is null || x.Length != size || y.Length != size)
                    {
                        return null;
                    }

                    var ec = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = x, Y = y } });
                    return new VerificationKey(jwk.Kid ?? "", jwk.Alg, null, ec, alg);
                }

                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null; // not a point on the curve, or a key the platform refuses
        }
    }
}
