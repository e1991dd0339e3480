namespace Ferry.Agent.Postgres;

/// <summary>
/// How the relay resynchronises after refusing a client message for its size: <see cref="Substitute"/> (a whole
/// message) is forwarded in its place, so the server answers an error and, in the extended protocol, discards
/// up to the next Sync itself; the refused bytes are dropped and shown to <see cref="Dropped"/> as they pass.
/// </summary>
internal sealed record PostgresRefusal(byte[] Substitute, IStreamedMessage? Dropped);
