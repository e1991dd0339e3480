using System.Diagnostics.CodeAnalysis;

namespace Ferry.Tunnel;

/// <summary>The peer violated the framing or stream rules; the session answers with GoAway(protocol error).</summary>
internal sealed class MuxProtocolException : TunnelException
{
    public MuxProtocolException(string message)
        : base(message)
    {
    }

    [DoesNotReturn]
    public static void Throw(string message) => throw new MuxProtocolException(message);
}
