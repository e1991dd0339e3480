namespace Ferry.Protocol.Postgres.Startup;

/// <summary>What the first packet of a connection asks for, decided by its 4-byte request code.</summary>
public enum StartupPacketKind
{
    StartupMessage,
    SslRequest,
    GssEncRequest,
    CancelRequest,
}
