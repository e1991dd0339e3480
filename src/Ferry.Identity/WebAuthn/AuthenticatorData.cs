using System.Buffers.Binary;

namespace Ferry.Identity.WebAuthn;

/// <summary>
/// The authenticator data of a WebAuthn response (W3C WebAuthn §6.1):
/// <code>
///  rpIdHash (32) | flags (1) | signCount (4, big-endian) | [attestedCredentialData] | [extensions (CBOR)]
///  attestedCredentialData = aaguid (16) | credentialIdLength (2, big-endian) | credentialId | credentialPublicKey (COSE, CBOR)
/// </code>
/// </summary>
public sealed class AuthenticatorData
{
    public const byte UserPresent = 0x01;
    public const byte UserVerified = 0x04;
    public const byte AttestedCredential = 0x40;
    public const byte Extensions = 0x80;

    /// <summary>Longest credential id accepted (the spec's 1023).</summary>
    public const int MaxCredentialIdLength = 1023;

    public required byte[] RpIdHash { get; init; }

    public required byte Flags { get; init; }

    public required uint SignCount { get; init; }

    public byte[]? CredentialId { get; init; }

    /// <summary>The credential public key as encoded (what is stored).</summary>
    public byte[]? CredentialPublicKey { get; init; }

    public bool IsUserPresent => (Flags & UserPresent) != 0;

    public bool IsUserVerified => (Flags & UserVerified) != 0;

    public static AuthenticatorData Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 37)
        {
            throw new WebAuthnException("malformed", $"authenticator data of {data.Length} bytes (at least 37)");
        }

        var flags = data[32];
        var offset = 37;
        byte[]? credentialId = null;
        byte[]? publicKey = null;
        if ((flags & AttestedCredential) != 0)
        {
            if (data.Length - offset < 18)
            {
                throw new WebAuthnException("malformed", "attested credential data truncated");
            }

            var idLength = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + 16, 2));
            offset += 18;
            if (idLength is 0 or > MaxCredentialIdLength || idLength > data.Length - offset)
            {
                throw new WebAuthnException("malformed", $"credential id of {idLength} bytes (1–{MaxCredentialIdLength}, within the data)");
            }

            credentialId = data.Slice(offset, idLength).ToArray();
            offset += idLength;
            _ = CborReader.Read(data[offset..], out var keyLength);
            publicKey = data.Slice(offset, keyLength).ToArray();
            offset += keyLength;
        }

        if ((flags & Extensions) != 0)
        {
            _ = CborReader.Read(data[offset..], out var extLength);
            offset += extLength;
        }

        if (offset != data.Length)
        {
            throw new WebAuthnException("malformed", $"{data.Length - offset} unexpected bytes after the authenticator data");
        }

        return new AuthenticatorData
        {
            RpIdHash = data[..32].ToArray(),
            Flags = flags,
            SignCount = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(33, 4)),
            CredentialId = credentialId,
            CredentialPublicKey = publicKey,
        };
    }
}
