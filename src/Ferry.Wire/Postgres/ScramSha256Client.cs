using System.Security.Cryptography;
using System.Text;

namespace Ferry.Wire.Postgres;

/// <summary>
/// The client side of SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL uses it, without channel binding (<c>n,,</c>):
/// <code>
///  client-first  n,,n=,r=CNONCE
///  server-first  r=CNONCE+SNONCE,s=SALT,i=ITERATIONS
///  client-final  c=biws,r=CNONCE+SNONCE,p=PROOF     PROOF = ClientKey XOR HMAC(H(ClientKey), AuthMessage)
///  server-final  v=HMAC(ServerKey, AuthMessage)     checked, so an impostor server is noticed
/// </code>
/// </summary>
internal sealed class ScramSha256Client(string password)
{
    public const string Mechanism = "SCRAM-SHA-256";
    private const int MaxIterations = 10_000_000;

    private readonly string _clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private byte[] _serverSignature = [];

    private string ClientFirstBare => "n=,r=" + _clientNonce;

    public byte[] ClientFirst() => Encoding.UTF8.GetBytes("n,," + ClientFirstBare);

    public byte[] ClientFinal(ReadOnlySpan<byte> serverFirstBytes)
    {
        var serverFirst = Encoding.UTF8.GetString(serverFirstBytes);
        string? nonce = null, salt = null, iterations = null;
        foreach (var part in serverFirst.Split(','))
        {
            if (part.StartsWith("r=", StringComparison.Ordinal))
            {
                nonce = part[2..];
            }
            else if (part.StartsWith("s=", StringComparison.Ordinal))
            {
                salt = part[2..];
            }
            else if (part.StartsWith("i=", StringComparison.Ordinal))
            {
                iterations = part[2..];
            }
        }

        if (nonce is null || salt is null || !int.TryParse(iterations, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
            || count is < 1 or > MaxIterations || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length)
        {
            throw new WireException(WireFailure.Refused, "SCRAM-SHA-256: the server's first message is malformed");
        }

        byte[] saltBytes;
        try
        {
            saltBytes = Convert.FromBase64String(salt);
        }
        catch (FormatException)
        {
            throw new WireException(WireFailure.Refused, "SCRAM-SHA-256: the server's salt is not base64");
        }

        var withoutProof = "c=biws,r=" + nonce;
        var authMessage = Encoding.UTF8.GetBytes(ClientFirstBare + "," + serverFirst + "," + withoutProof);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), saltBytes, count, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var signature = HMACSHA256.HashData(storedKey, authMessage);
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= signature[i];
        }

        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        _serverSignature = HMACSHA256.HashData(serverKey, authMessage);
        return Encoding.UTF8.GetBytes(withoutProof + ",p=" + Convert.ToBase64String(clientKey));
    }

    public void VerifyServerFinal(ReadOnlySpan<byte> serverFinalBytes)
    {
        var serverFinal = Encoding.UTF8.GetString(serverFinalBytes);
        byte[] proof;
        try
        {
            proof = serverFinal.StartsWith("v=", StringComparison.Ordinal) ? Convert.FromBase64String(serverFinal[2..]) : [];
        }
        catch (FormatException)
        {
            proof = [];
        }

        if (_serverSignature.Length == 0 || !CryptographicOperations.FixedTimeEquals(proof, _serverSignature))
        {
            throw new WireException(WireFailure.Refused, "SCRAM-SHA-256: the server did not prove it knows the password");
        }
    }
}
