namespace Ferry.Wire;

/// <summary>
/// An error the database sent for a statement: PostgreSQL SQLSTATE or MySQL error number, its message, and whether it
/// ends the session (PostgreSQL FATAL/PANIC; MySQL 1927 connection killed, 1053 shutdown).
/// </summary>
public sealed record WireError(string Code, string Message, string? Detail, bool EndsSession);
