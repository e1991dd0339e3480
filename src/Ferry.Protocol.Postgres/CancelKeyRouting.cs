using System.Security.Cryptography;
using System.Text;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// How a CancelRequest finds its agent through any proxy. The agent mints each session's BackendKeyData with a process id
/// whose high 15 bits are a tag of its host id (<see cref="Tag"/>) and whose low 16 bits are random; the 32-bit secret stays
/// wholly random. A proxy that did not relay the session (it went through another proxy) asks only the connected agents
/// whose tag matches the process id — usually one — and only within the sender's miss budget. The tag names no session
/// and makes no key easier to guess: the secret alone is what a cancel must match.
/// </summary>
public static class CancelKeyRouting
{
    /// <summary>The tag of <paramref name="agentId"/>: 1 to 32767, the same in every process.</summary>
    public static int Tag(string agentId)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(agentId), hash);
        return (((hash[0] << 8) | hash[1]) % 32767) + 1;
    }

    /// <summary>The tag a process id carries (0 for a process id no agent minted this way).</summary>
    public static int TagOf(int processId) => processId <= 0 ? 0 : processId >> 16;

    /// <summary>A process id for an agent with tag <paramref name="tag"/>: the tag, then 16 random bits.</summary>
    public static int ProcessId(int tag)
    {
        if (tag is < 1 or > 32767)
        {
            throw new ArgumentOutOfRangeException(nameof(tag), tag, "expected 1 to 32767");
        }

        return (tag << 16) | RandomNumberGenerator.GetInt32(0, 1 << 16);
    }
}
