using System.Security.Cryptography;

namespace Ferry.Audit;

/// <summary>
/// Makes <see cref="AuditEventId"/> ULIDs without a system call per id: the 80 bits after the time are 16 bits drawn
/// once from the crypto RNG and a 64-bit counter that starts at a value drawn once too (below 2^63, so it never wraps)
/// and goes up by one per id.
/// </summary>
/// <remarks>
/// <para>Unique: within one generator the 80 bits never repeat (the counter only goes up). Two generators (two
/// processes, or one process before and after a restart) give the same id only for the same millisecond, the same
/// 16 drawn bits and counters that meet: about n / 2^79 for n ids made in that millisecond — no likelier than two
/// fully random ULIDs colliding. Sorted: ids of one generator made in the same millisecond sort in the order they
/// were made.</para>
/// <para>Not unpredictable, and need not be: an event id only names an event (the store drops a second copy of it,
/// search and playback refer to it); no access, session or decision depends on it being unguessable, and anyone who
/// can read one event can read the events around it. Knowing the next id gains an attacker nothing: writing an audit
/// event with it needs the agent's or proxy's own credentials, which would let them write anything anyway.</para>
/// </remarks>
internal sealed class AuditEventIdGenerator
{
    private readonly ushort _high;
    private long _counter;

    public AuditEventIdGenerator()
    {
        Span<byte> seed = stackalloc byte[10];
        RandomNumberGenerator.Fill(seed);
        _high = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(seed);
        _counter = (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(seed[2..]) >> 1);
    }

    /// <summary>A new ULID for <paramref name="time"/>.</summary>
    public string New(DateTimeOffset time) =>
        AuditEventId.Encode(time.ToUnixTimeMilliseconds(), _high, (ulong)Interlocked.Increment(ref _counter));
}
