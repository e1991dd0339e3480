namespace Ferry.Audit;

/// <summary>Every (type, code) pair with a one-line meaning; the source of docs/audit-events.md.</summary>
public static class AuditEventCatalog
{
    /// <summary>All known event codes.</summary>
    public static IReadOnlyList<AuditEventKind> All { get; } =
    [
        new(AuditEventTypes.DbSessionStart, AuditEventCodes.DbSessionStartAllowed, "A database session was authorised and started."),
        new(AuditEventTypes.DbSessionStart, AuditEventCodes.DbSessionStartDenied, "A database session was denied (RBAC, lock, bad certificate, database refused)."),
        new(AuditEventTypes.DbSessionEnd, AuditEventCodes.DbSessionEnd, "A database session ended (end_reason, bytes, duration)."),
        new(AuditEventTypes.DbSessionQuery, AuditEventCodes.DbSessionQuery, "A simple query (PG Query, MySQL COM_QUERY) was sent."),
        new(AuditEventTypes.DbSessionQuery, AuditEventCodes.DbSessionQueryFailed, "A simple query returned an error."),
        new(AuditEventTypes.DbSessionCancel, AuditEventCodes.DbSessionCancel, "A query cancel request was routed to the session."),
        new(AuditEventTypes.DbSessionParse, AuditEventCodes.DbSessionParse, "PostgreSQL extended protocol Parse."),
        new(AuditEventTypes.DbSessionBind, AuditEventCodes.DbSessionBind, "PostgreSQL extended protocol Bind (parameters)."),
        new(AuditEventTypes.DbSessionExecute, AuditEventCodes.DbSessionExecute, "PostgreSQL extended protocol Execute."),
        new(AuditEventTypes.DbSessionClose, AuditEventCodes.DbSessionClose, "PostgreSQL extended protocol Close (statement or portal)."),
        new(AuditEventTypes.DbSessionFunctionCall, AuditEventCodes.DbSessionFunctionCall, "PostgreSQL FunctionCall (details: function_oid)."),
        new(AuditEventTypes.MySqlStatementPrepare, AuditEventCodes.MySqlStatementPrepare, "MySQL COM_STMT_PREPARE."),
        new(AuditEventTypes.MySqlStatementExecute, AuditEventCodes.MySqlStatementExecute, "MySQL COM_STMT_EXECUTE (parameters)."),
        new(AuditEventTypes.MySqlStatementSendLongData, AuditEventCodes.MySqlStatementSendLongData, "MySQL COM_STMT_SEND_LONG_DATA."),
        new(AuditEventTypes.MySqlStatementClose, AuditEventCodes.MySqlStatementClose, "MySQL COM_STMT_CLOSE."),
        new(AuditEventTypes.MySqlStatementReset, AuditEventCodes.MySqlStatementReset, "MySQL COM_STMT_RESET."),
        new(AuditEventTypes.MySqlStatementFetch, AuditEventCodes.MySqlStatementFetch, "MySQL COM_STMT_FETCH."),
        new(AuditEventTypes.MySqlInitDb, AuditEventCodes.MySqlInitDb, "MySQL COM_INIT_DB (db_name is the new schema)."),
        new(AuditEventTypes.MySqlCreateDb, AuditEventCodes.MySqlCreateDb, "MySQL COM_CREATE_DB."),
        new(AuditEventTypes.MySqlDropDb, AuditEventCodes.MySqlDropDb, "MySQL COM_DROP_DB."),
        new(AuditEventTypes.MySqlShutDown, AuditEventCodes.MySqlShutDown, "MySQL COM_SHUTDOWN."),
        new(AuditEventTypes.MySqlProcessKill, AuditEventCodes.MySqlProcessKill, "MySQL COM_PROCESS_KILL (details: process_id)."),
        new(AuditEventTypes.MySqlDebug, AuditEventCodes.MySqlDebug, "MySQL COM_DEBUG."),
        new(AuditEventTypes.MySqlRefresh, AuditEventCodes.MySqlRefresh, "MySQL COM_REFRESH (details: subcommand)."),
        new(AuditEventTypes.MySqlChangeUser, AuditEventCodes.MySqlChangeUser, "MySQL COM_CHANGE_USER (db_user is the requested user)."),
        new(AuditEventTypes.MySqlResetConnection, AuditEventCodes.MySqlResetConnection, "MySQL COM_RESET_CONNECTION."),
        new(AuditEventTypes.MySqlSetOption, AuditEventCodes.MySqlSetOption, "MySQL COM_SET_OPTION."),
        new(AuditEventTypes.UserLogin, AuditEventCodes.UserLoginSuccess, "A user logged in (details: method, mfa)."),
        new(AuditEventTypes.UserLogin, AuditEventCodes.UserLoginFailure, "A login failed (error says why)."),
        new(AuditEventTypes.UserLogout, AuditEventCodes.UserLogout, "A user logged out or a session certificate was revoked."),
        new(AuditEventTypes.UserCreate, AuditEventCodes.UserCreate, "A user was created."),
        new(AuditEventTypes.UserUpdate, AuditEventCodes.UserUpdate, "A user was updated."),
        new(AuditEventTypes.UserDelete, AuditEventCodes.UserDelete, "A user was deleted."),
        new(AuditEventTypes.RoleCreate, AuditEventCodes.RoleCreate, "A role was created."),
        new(AuditEventTypes.RoleUpdate, AuditEventCodes.RoleUpdate, "A role was updated."),
        new(AuditEventTypes.RoleDelete, AuditEventCodes.RoleDelete, "A role was deleted."),
        new(AuditEventTypes.TokenCreate, AuditEventCodes.TokenCreate, "A join or invite token was created."),
        new(AuditEventTypes.TokenDelete, AuditEventCodes.TokenDelete, "A token was deleted."),
        new(AuditEventTypes.LockCreate, AuditEventCodes.LockCreate, "A lock was created."),
        new(AuditEventTypes.LockDelete, AuditEventCodes.LockDelete, "A lock was deleted."),
        new(AuditEventTypes.HostJoin, AuditEventCodes.HostJoinSuccess, "A proxy or agent joined the cluster."),
        new(AuditEventTypes.HostJoin, AuditEventCodes.HostJoinFailure, "A join attempt was refused."),
        new(AuditEventTypes.CertIssue, AuditEventCodes.CertIssue, "A certificate was issued (details: kind, ttl, principals)."),
        new(AuditEventTypes.AccessRequestCreate, AuditEventCodes.AccessRequestCreate, "An access request was created."),
        new(AuditEventTypes.AccessRequestReview, AuditEventCodes.AccessRequestReview, "An access request was approved or denied."),
        new(AuditEventTypes.AuditRetention, AuditEventCodes.AuditRetention, "Audit segments were removed by retention (details: segments, events, anchor)."),
    ];

    /// <summary>Finds the entry for <paramref name="code"/>, or null.</summary>
    public static AuditEventKind? FindByCode(string code)
    {
        foreach (AuditEventKind k in All)
        {
            if (k.Code == code)
            {
                return k;
            }
        }

        return null;
    }
}
