using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Audit;

/// <summary>
/// What an audit event keeps of a statement or parameter of any size, built incrementally while its
/// bytes stream past: the first <c>limit</c> bytes, the true length, and a SHA-256 of every byte.
/// Memory is the prefix buffer alone, whatever the size of the value, so a 1 GB statement costs the
/// same as a 64 KiB one. <see cref="ApplyTo"/> writes the statement fields of an event.
/// </summary>
public sealed class StatementCapture : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _prefix;
    private int _kept;
    private string? _sha256;

    /// <param name="limit">How many leading bytes to keep (the audited text).</param>
    /// <param name="expectedLength">The value's length when known in advance (sizes the prefix buffer); -1 when not.</param>
    public StatementCapture(int limit, long expectedLength = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _prefix = new byte[expectedLength >= 0 ? (int)Math.Min(limit, expectedLength) : limit];
    }

    /// <summary>Bytes appended so far: the value's true length once it is complete.</summary>
    public long Length { get; private set; }

    /// <summary>True when the value is longer than the kept prefix.</summary>
    public bool Truncated => Length > _kept;

    /// <summary>The kept prefix.</summary>
    public ReadOnlySpan<byte> Prefix => _prefix.AsSpan(0, _kept);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        var room = _prefix.Length - _kept;
        if (room > 0)
        {
            var take = Math.Min(room, data.Length);
            data[..take].CopyTo(_prefix.AsSpan(_kept));
            _kept += take;
        }
        _hash.AppendData(data);
        Length += data.Length;
    }

    public void Append(in ReadOnlySequence<byte> data)
    {
        foreach (var segment in data)
        {
            Append(segment.Span);
        }
    }

    /// <summary>Lower-case hex SHA-256 of everything appended (computed once; append nothing after).</summary>
    public string Sha256Hex() => _sha256 ??= Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>The kept prefix as text: UTF-8, cut back to a whole character when the cut fell inside one.</summary>
    public string Text() => PrefixText(Prefix, Truncated);

    /// <summary>Sets <c>query</c>, <c>query_length</c>, <c>query_sha256</c> and (when cut) <c>truncated</c> on <paramref name="e"/>.</summary>
    public void ApplyTo(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Query = Text();
        e.QueryLength = Length;
        e.QuerySha256 = Sha256Hex();
        e.Truncated = Truncated ? true : null;
    }

    /// <summary>The statement fields for a value held whole: at most <paramref name="limit"/> bytes of text, its length and hash.</summary>
    public static void Describe(AuditEvent e, ReadOnlySpan<byte> statement, int limit)
    {
        ArgumentNullException.ThrowIfNull(e);
        var truncated = statement.Length > limit;
        e.Query = PrefixText(truncated ? statement[..limit] : statement, truncated);
        e.QueryLength = statement.Length;
        e.QuerySha256 = Sha256Hex(statement);
        e.Truncated = truncated ? true : null;
    }

    /// <inheritdoc cref="Describe(AuditEvent, ReadOnlySpan{byte}, int)"/>
    public static void Describe(AuditEvent e, in ReadOnlySequence<byte> statement, int limit)
    {
        if (statement.IsSingleSegment)
        {
            Describe(e, statement.FirstSpan, limit);
            return;
        }
        using var capture = new StatementCapture(limit, statement.Length);
        capture.Append(statement);
        capture.ApplyTo(e);
    }

    public static string Sha256Hex(ReadOnlySpan<byte> value)
    {
        // One hash context per thread, reset after each use: a one-shot SHA256.HashData sets up and frees a context
        // per call, which for a statement's few dozen bytes costs more than the hashing (StatementHashBenchmarks).
        IncrementalHash sha = t_sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> hash = stackalloc byte[32];
        try
        {
            sha.AppendData(value);
            sha.GetHashAndReset(hash);
        }
        catch
        {
            // Whatever the context holds now must not prefix the next statement's hash.
            t_sha = null;
            sha.Dispose();
            throw;
        }

        return Convert.ToHexStringLower(hash);
    }

    [ThreadStatic]
    private static IncrementalHash? t_sha;

    public static string Sha256Hex(in ReadOnlySequence<byte> value)
    {
        if (value.IsSingleSegment)
        {
            return Sha256Hex(value.FirstSpan);
        }
        using var capture = new StatementCapture(0);
        capture.Append(value);
        return capture.Sha256Hex();
    }

    /// <summary>UTF-8 text of <paramref name="prefix"/>; when <paramref name="cut"/>, a character split by the cut is left out.</summary>
    public static string PrefixText(ReadOnlySpan<byte> prefix, bool cut)
    {
        if (cut)
        {
            prefix = prefix[..WholeCharacters(prefix)];
        }
        return Encoding.UTF8.GetString(prefix);
    }

    /// <summary>The length of <paramref name="bytes"/> without a trailing incomplete UTF-8 sequence.</summary>
    private static int WholeCharacters(ReadOnlySpan<byte> bytes)
    {
        // Look back at most 3 bytes for the lead byte of the last sequence.
        for (var back = 1; back <= Math.Min(4, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte
            }
            var need = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return need > back ? bytes.Length - back : bytes.Length;
        }
        return bytes.Length;
    }

    public void Dispose() => _hash.Dispose();
}
