namespace Ferry.Protocol.Postgres;

/// <summary>A PostgreSQL cancel key (process id + secret of 4–256 bytes) usable as a dictionary key.</summary>
public readonly record struct CancelKey(int ProcessId, long SecretHash)
{
    public static CancelKey From(int processId, ReadOnlySpan<byte> secret)
    {
        long hash = secret.Length;
        foreach (var b in secret)
        {
            hash = (hash * 257) + b;
        }
        return new CancelKey(processId, hash);
    }
}
