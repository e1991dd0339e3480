namespace Ferry.Agent.MySql;

/// <summary>
/// What the response side gets back with the steps of a COM_QUERY or COM_STMT_EXECUTE response: the statement's
/// event id and start (for its <c>db.session.result</c>), and a query's text (to audit its failure).
/// </summary>
internal sealed record MySqlResultTag(string? Query, string EventId, long Started);
