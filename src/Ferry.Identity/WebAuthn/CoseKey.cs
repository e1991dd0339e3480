using System.Security.Cryptography;

namespace Ferry.Identity.WebAuthn;

/// <summary>
/// A credential public key in COSE form (RFC 9053): ES256 (EC2, P-256) and RS256 (RSA, 2048–4096 bits). The encoded
/// bytes are what is stored; <see cref="Verify"/> checks an authenticator's signature.
/// </summary>
public sealed class CoseKey
{
    public const long Es256 = -7;

    public const long Rs256 = -257;

    private readonly ECParameters? _ec;
    private readonly RSAParameters? _rsa;

    private CoseKey(long algorithm, ECParameters? ec, RSAParameters? rsa)
    {
        Algorithm = algorithm;
        _ec = ec;
        _rsa = rsa;
    }

    public long Algorithm { get; }

    public string AlgorithmName => Algorithm == Es256 ? "ES256" : "RS256";

    /// <summary>Parses the COSE key <paramref name="encoded"/>; refuses other algorithms and malformed keys.</summary>
    public static CoseKey Parse(ReadOnlySpan<byte> encoded) => FromCbor(CborReader.ReadSingle(encoded));

    internal static CoseKey FromCbor(CborValue key)
    {
        if (key.Kind != CborKind.Map)
        {
            throw new WebAuthnException("unsupported_key", "the credential public key is not a COSE key (CBOR map)");
        }

        var kty = key[1] is { Kind: CborKind.Integer } k ? k.Integer : 0;
        var alg = key[3] is { Kind: CborKind.Integer } a ? a.Integer : 0;
        if (kty == 2 && alg == Es256)
        {
            if (key[-1] is not { Kind: CborKind.Integer, Integer: 1 } || key[-2] is not { Kind: CborKind.Bytes, Bytes.Length: 32 } x || key[-3] is not { Kind: CborKind.Bytes, Bytes.Length: 32 } y)
            {
                throw new WebAuthnException("unsupported_key", "an ES256 credential key must be on P-256 with 32-byte x and y");
            }

            var ec = new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x.Bytes, Y = y.Bytes } };
            try
            {
                using var check = ECDsa.Create(ec); // refuses a point that is not on the curve
            }
            catch (CryptographicException)
            {
                throw new WebAuthnException("unsupported_key", "the ES256 credential key is not a point on P-256");
            }

            return new CoseKey(Es256, ec, null);
        }

        if (kty == 3 && alg == Rs256)
        {
            if (key[-1] is not { Kind: CborKind.Bytes, Bytes.Length: >= 256 and <= 512 } n || key[-2] is not { Kind: CborKind.Bytes, Bytes.Length: >= 1 and <= 8 } e)
            {
                throw new WebAuthnException("unsupported_key", "an RS256 credential key must have a 2048–4096-bit modulus");
            }

            return new CoseKey(Rs256, null, new RSAParameters { Modulus = n.Bytes, Exponent = e.Bytes });
        }

        throw new WebAuthnException("unsupported_key", $"credential key type {kty} with algorithm {alg} is not supported: use a security key or passkey offering ES256 or RS256");
    }

    /// <summary>Whether <paramref name="signature"/> (DER for ES256, PKCS#1 v1.5 for RS256) signs <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (_ec is { } ec)
            {
                using var key = ECDsa.Create(ec);
                return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            }

            using var rsa = RSA.Create(_rsa!.Value);
            return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
