namespace Ferry.Agent.Postgres;

/// <summary>A message the relay streams instead of holding whole: it sees the body as it passes.</summary>
internal interface IStreamedMessage
{
    /// <summary>The next bytes of the body (the 5-byte header is not included), in order.</summary>
    void Append(ReadOnlySpan<byte> body);

    /// <summary>The whole body has been seen; called before its last bytes are forwarded.</summary>
    void Complete();
}
