using System.Buffers;
using Ferry.Audit;

namespace Ferry.Agent.Postgres;

/// <summary>
/// A Query or Parse too large to hold, captured as it streams: for Parse the statement name (its first
/// bytes), then for both the statement text up to its terminating NUL into a <see cref="StatementCapture"/>
/// (first bytes, true length, SHA-256); what follows the text (Parse's parameter types) is ignored.
/// <code>
/// Query  'Q' int32 len | text \0
/// Parse  'P' int32 len | name \0 | text \0 | int16 n | int32 type × n
/// </code>
/// </summary>
internal sealed class StreamedStatement : IStreamedMessage, IDisposable
{
    private const int MaxName = 1024;

    private readonly ArrayBufferWriter<byte>? _name;
    private readonly Action<StreamedStatement> _completed;
    private int _phase; // 0 name, 1 text, 2 the rest

    public StreamedStatement(bool named, int limit, long bodyLength, Action<StreamedStatement> completed)
    {
        _name = named ? new ArrayBufferWriter<byte>(64) : null;
        _phase = named ? 0 : 1;
        Text = new StatementCapture(limit, bodyLength);
        _completed = completed;
    }

    public StatementCapture Text { get; }

    /// <summary>Parse's statement name (at most its first 1 KiB), or null for a Query.</summary>
    public string? Name => _name is null ? null : StatementCapture.PrefixText(_name.WrittenSpan, _name.WrittenCount == MaxName);

    public void Append(ReadOnlySpan<byte> body)
    {
        while (!body.IsEmpty && _phase < 2)
        {
            var nul = body.IndexOf((byte)0);
            var part = nul < 0 ? body : body[..nul];
            if (_phase == 0)
            {
                var room = MaxName - _name!.WrittenCount;
                _name.Write(part[..Math.Min(room, part.Length)]);
            }
            else
            {
                Text.Append(part);
            }
            if (nul < 0)
            {
                return;
            }
            _phase++;
            body = body[(nul + 1)..];
        }
    }

    public void Complete() => _completed(this);

    public void Dispose() => Text.Dispose();
}
