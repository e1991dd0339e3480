using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Ferry.Identity.WebAuthn;

namespace Ferry.Identity.Tests.WebAuthn;

/// <summary>A software security key (ECDsa P-256) that answers WebAuthn ceremonies as a browser would pass them on.</summary>
internal sealed class TestAuthenticator : IDisposable
{
    public const string RpId = "localhost";
    public const string Origin = "https://localhost:3080";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);

    public uint Counter { get; set; }

    public byte[] CoseKey
    {
        get
        {
            var p = _key.ExportParameters(false);
            var w = new CborWriter();
            w.Map(5);
            w.Int(1); w.Int(2);      // kty: EC2
            w.Int(3); w.Int(-7);     // alg: ES256
            w.Int(-1); w.Int(1);     // crv: P-256
            w.Int(-2); w.Bytes(p.Q.X!);
            w.Int(-3); w.Bytes(p.Q.Y!);
            return w.ToArray();
        }
    }

    public static byte[] ClientData(string type, byte[] challenge, string origin = Origin) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"challenge\":\"{WebAuthnBase64Url.Encode(challenge)}\",\"origin\":\"{origin}\",\"crossOrigin\":false}}");

    public byte[] AuthData(bool attested, byte flags = AuthenticatorData.UserPresent | AuthenticatorData.UserVerified, string rpId = RpId)
    {
        var data = new List<byte>();
        data.AddRange(SHA256.HashData(Encoding.UTF8.GetBytes(rpId)));
        data.Add((byte)(flags | (attested ? AuthenticatorData.AttestedCredential : 0)));
        var counter = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(counter, Counter);
        data.AddRange(counter);
        if (attested)
        {
            data.AddRange(new byte[16]);
            data.Add((byte)(CredentialId.Length >> 8));
            data.Add((byte)CredentialId.Length);
            data.AddRange(CredentialId);
            data.AddRange(CoseKey);
        }

        return [.. data];
    }

    /// <summary>An attestation object of format "none" for a new credential.</summary>
    public byte[] AttestationNone(byte[]? authData = null)
    {
        var w = new CborWriter();
        w.Map(3);
        w.Text("fmt"); w.Text("none");
        w.Text("attStmt"); w.Map(0);
        w.Text("authData"); w.Bytes(authData ?? AuthData(attested: true));
        return w.ToArray();
    }

    /// <summary>An attestation object of format "packed" signed by the credential itself.</summary>
    public byte[] AttestationPackedSelf(byte[] clientData, bool corrupt = false)
    {
        var authData = AuthData(attested: true);
        var sig = Sign(authData, clientData);
        if (corrupt)
        {
            sig[^1] ^= 1;
        }

        var w = new CborWriter();
        w.Map(3);
        w.Text("fmt"); w.Text("packed");
        w.Text("attStmt"); w.Map(2); w.Text("alg"); w.Int(-7); w.Text("sig"); w.Bytes(sig);
        w.Text("authData"); w.Bytes(authData);
        return w.ToArray();
    }

    public byte[] Sign(byte[] authData, byte[] clientData)
    {
        var signed = authData.Concat(SHA256.HashData(clientData)).ToArray();
        return _key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>Just enough of a CBOR writer for the tests (definite lengths).</summary>
internal sealed class CborWriter
{
    private readonly List<byte> _bytes = [];

    public void Int(long value)
    {
        if (value >= 0)
        {
            Head(0, (ulong)value);
        }
        else
        {
            Head(1, (ulong)(-1 - value));
        }
    }

    public void Bytes(byte[] value)
    {
        Head(2, (ulong)value.Length);
        _bytes.AddRange(value);
    }

    public void Text(string value)
    {
        var b = Encoding.UTF8.GetBytes(value);
        Head(3, (ulong)b.Length);
        _bytes.AddRange(b);
    }

    public void Array(int count) => Head(4, (ulong)count);

    public void Map(int count) => Head(5, (ulong)count);

    public void Raw(params byte[] bytes) => _bytes.AddRange(bytes);

    public byte[] ToArray() => [.. _bytes];

    private void Head(int major, ulong value)
    {
        var m = (byte)(major << 5);
        if (value < 24)
        {
            _bytes.Add((byte)(m | (byte)value));
        }
        else if (value <= byte.MaxValue)
        {
            _bytes.Add((byte)(m | 24));
            _bytes.Add((byte)value);
        }
        else if (value <= ushort.MaxValue)
        {
            _bytes.Add((byte)(m | 25));
            _bytes.Add((byte)(value >> 8));
            _bytes.Add((byte)value);
        }
        else
        {
            _bytes.Add((byte)(m | 26));
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value);
            _bytes.AddRange(b);
        }
    }
}
