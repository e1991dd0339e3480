using Encoder = System.Buffers.Text.Base64Url;

namespace Ferry.Auth.Sso;

/// <summary>base64url without padding (RFC 7515 §2), as JWTs and PKCE use it.</summary>
internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => Encoder.EncodeToString(data);

    /// <summary>Decodes, or returns null for text that is not base64url.</summary>
    public static byte[]? TryDecode(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return [];
        }

        var buffer = new byte[Encoder.GetMaxDecodedLength(text.Length)];
        return Encoder.DecodeFromChars(text, buffer, out var consumed, out var written) == System.Buffers.OperationStatus.Done && consumed == text.Length
            ? buffer.AsSpan(0, written).ToArray()
            : null;
    }

    /// <summary>Random bytes as base64url: state, nonce, PKCE verifier.</summary>
    public static string Random(int bytes) => Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes));
}
