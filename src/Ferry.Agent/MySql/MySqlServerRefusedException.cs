namespace Ferry.Agent.MySql;

/// <summary>The server answered the agent's login with an ERR packet (kept to forward to the client).</summary>
internal sealed class MySqlServerRefusedException(string message, byte[] errPayload) : Exception(message)
{
    public byte[] ErrPayload { get; } = errPayload;
}
