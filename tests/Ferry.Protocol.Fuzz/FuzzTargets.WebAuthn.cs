using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Ferry.Identity.Tests.WebAuthn;
using Ferry.Identity.WebAuthn;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// What a browser posts to the WebAuthn endpoints before anyone is authenticated: the client data JSON, the
/// attestation object (CBOR: fmt, attStmt, authData with the COSE key) at registration, the authenticator data and
/// signature at sign-in. Input layout: a 2-byte big-endian length of the client data, the client data, then the
/// attestation object — or, when the first byte of the rest is 0xA5 (never the start of an attestation map here),
/// a COSE key alone. The verifier must refuse anything malformed with a <see cref="WebAuthnException"/>.
/// </summary>
internal static partial class FuzzTargets
{
    private static readonly WebAuthnExpectations WebAuthnExpected = new(TestAuthenticator.RpId, TestAuthenticator.Origin, WebAuthnChallenge, RequireUserVerification: false);

    private static byte[] WebAuthnChallenge => [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    private static void WebAuthn(ReadOnlySequence<byte> input)
    {
        byte[] bytes = input.ToArray();
        if (bytes.Length < 2)
        {
            return;
        }

        int clientLength = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(bytes), bytes.Length - 2);
        byte[] clientData = bytes.AsSpan(2, clientLength).ToArray();
        byte[] rest = bytes.AsSpan(2 + clientLength).ToArray();
        try
        {
            if (rest.Length > 0 && rest[0] == 0xA5)
            {
                _ = CoseKey.Parse(rest);
                return;
            }

            _ = WebAuthnVerifier.VerifyRegistration(clientData, rest, WebAuthnExpected);
        }
        catch (WebAuthnException)
        {
        }

        try
        {
            // The same bytes as a sign-in: the rest as authenticator data, signed (or not) for a stored key.
            using var key = new TestAuthenticator();
            _ = WebAuthnVerifier.VerifyAssertion(clientData, rest, [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], key.CoseKey, 0, WebAuthnExpected);
        }
        catch (WebAuthnException)
        {
        }
    }

    /// <summary>Valid registrations (attestation "none" and packed self-attestation) and a COSE key, to start from.</summary>
    public static void WriteWebAuthnSeeds(string directory)
    {
        Directory.CreateDirectory(directory);
        using var key = new TestAuthenticator();
        byte[] create = TestAuthenticator.ClientData("webauthn.create", WebAuthnChallenge);
        File.WriteAllBytes(Path.Combine(directory, "registration-none"), Framed(create, key.AttestationNone()));
        File.WriteAllBytes(Path.Combine(directory, "registration-packed"), Framed(create, key.AttestationPackedSelf(create)));
        File.WriteAllBytes(Path.Combine(directory, "cose-key"), Framed(create, key.CoseKey));
        byte[] get = TestAuthenticator.ClientData("webauthn.get", WebAuthnChallenge);
        File.WriteAllBytes(Path.Combine(directory, "assertion-authdata"), Framed(get, key.AuthData(attested: false)));
        File.WriteAllBytes(Path.Combine(directory, "random-tail"), Framed(create, RandomNumberGenerator.GetBytes(64)));
    }

    private static byte[] Framed(byte[] clientData, byte[] rest)
    {
        var framed = new byte[2 + clientData.Length + rest.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)clientData.Length);
        clientData.CopyTo(framed, 2);
        rest.CopyTo(framed, 2 + clientData.Length);
        return framed;
    }
}
