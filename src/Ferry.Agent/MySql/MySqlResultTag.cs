namespace Ferry.Agent.MySql;

/// <summary>
/// What the response side gets back with the steps of a COM_QUERY or COM_STMT_EXECUTE response: the statement's
/// event id and start (for its <c>db.session.result</c>), and a query's text (to audit its failure). For a
/// COM_STMT_FETCH, <see cref="Cursor"/> is the prepared statement whose open cursor the rows come from: the limits
/// apply to every row the cursor has returned since the statement's last execute, not to each fetch alone.
/// </summary>
internal sealed record MySqlResultTag(string? Query, string EventId, long Started, MySqlStatement? Cursor = null);
