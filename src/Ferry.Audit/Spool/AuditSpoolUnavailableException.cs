namespace Ferry.Audit;

/// <summary>
/// An event could not be written into the audit spool (the disk is full, failing, or stalled): whatever it records
/// must not happen unaudited. A relay refuses the statement and closes the session with this message.
/// </summary>
public sealed class AuditSpoolUnavailableException : IOException
{
    public AuditSpoolUnavailableException(string message)
        : base(message)
    {
    }

    public AuditSpoolUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AuditSpoolUnavailableException()
    {
    }
}
