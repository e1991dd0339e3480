using Ferry.Audit;

namespace Ferry.Agent.Postgres;

/// <summary>A refused message's body as it is dropped: only its true length and SHA-256 are kept, for its audit event.</summary>
internal sealed class RefusedMessage(long bodyLength, Action<StatementCapture> completed) : IStreamedMessage
{
    private readonly StatementCapture _capture = new(0, bodyLength);

    public void Append(ReadOnlySpan<byte> body) => _capture.Append(body);

    public void Complete()
    {
        using (_capture)
        {
            completed(_capture);
        }
    }
}
