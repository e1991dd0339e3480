namespace Ferry.Audit;

/// <summary>
/// Every event kind: its type, code and one-line meaning, written once. Events are made from a kind
/// (<see cref="AuditEventKind.NewEvent"/>, <see cref="AuditEventFactory"/>), so a type cannot be paired
/// with another type's code; <see cref="AuditEventCatalog"/> and docs/audit-events.md list this table.
/// Codes end in I (info/success) or W (warning/denied/failed). Never change a code: stored events and
/// saved searches refer to it.
/// </summary>
public static class AuditEventKinds
{
    public static readonly AuditEventKind DbSessionStartAllowed = new(AuditEventTypes.DbSessionStart, "TDB00I", "A database session was authorised and started.");

    public static readonly AuditEventKind DbSessionStartDenied = new(AuditEventTypes.DbSessionStart, "TDB00W", "A database session was denied (RBAC, lock, bad certificate, database refused).");

    public static readonly AuditEventKind DbSessionEnd = new(AuditEventTypes.DbSessionEnd, "TDB01I", "A database session ended (end_reason, bytes, duration).");

    public static readonly AuditEventKind DbSessionQuery = new(AuditEventTypes.DbSessionQuery, "TDB02I", "A simple query (PG Query, MySQL COM_QUERY) was sent.");

    public static readonly AuditEventKind DbSessionQueryFailed = new(AuditEventTypes.DbSessionQuery, "TDB02W", "A simple query returned an error.");

    public static readonly AuditEventKind DbSessionCancel = new(AuditEventTypes.DbSessionCancel, "TDB03I", "A query cancel request was routed to the session.");

    public static readonly AuditEventKind DbSessionCancelRefused = new(AuditEventTypes.DbSessionCancel, "TDB03W", "Cancel requests were dropped (details: reason unknown_key or throttled, count), aggregated per source address.");

    public static readonly AuditEventKind DbSessionResult = new(AuditEventTypes.DbSessionResult, "TDB04I", "What a statement returned, once it finished: rows, bytes_out, duration_us (details: statement = the id of the statement's event, command tag).");

    public static readonly AuditEventKind DbSessionResultFailed = new(AuditEventTypes.DbSessionResult, "TDB04W", "A statement finished with an error or was stopped by a limit: rows and bytes_out so far, duration_us, error (details: statement, code = SQLSTATE or MySQL error number, limit when a role limit stopped it).");

    public static readonly AuditEventKind DbSessionParse = new(AuditEventTypes.DbSessionParse, "TPG00I", "PostgreSQL extended protocol Parse.");

    public static readonly AuditEventKind DbSessionBind = new(AuditEventTypes.DbSessionBind, "TPG01I", "PostgreSQL extended protocol Bind (parameters).");

    public static readonly AuditEventKind DbSessionExecute = new(AuditEventTypes.DbSessionExecute, "TPG02I", "PostgreSQL extended protocol Execute.");

    public static readonly AuditEventKind DbSessionClose = new(AuditEventTypes.DbSessionClose, "TPG03I", "PostgreSQL extended protocol Close (statement or portal).");

    public static readonly AuditEventKind DbSessionFunctionCall = new(AuditEventTypes.DbSessionFunctionCall, "TPG04I", "PostgreSQL FunctionCall (details: function_oid).");

    public static readonly AuditEventKind MySqlStatementPrepare = new(AuditEventTypes.MySqlStatementPrepare, "TMY00I", "MySQL COM_STMT_PREPARE.");

    public static readonly AuditEventKind MySqlStatementExecute = new(AuditEventTypes.MySqlStatementExecute, "TMY01I", "MySQL COM_STMT_EXECUTE (parameters).");

    public static readonly AuditEventKind MySqlStatementSendLongData = new(AuditEventTypes.MySqlStatementSendLongData, "TMY02I", "MySQL COM_STMT_SEND_LONG_DATA.");

    public static readonly AuditEventKind MySqlStatementClose = new(AuditEventTypes.MySqlStatementClose, "TMY03I", "MySQL COM_STMT_CLOSE.");

    public static readonly AuditEventKind MySqlStatementReset = new(AuditEventTypes.MySqlStatementReset, "TMY04I", "MySQL COM_STMT_RESET.");

    public static readonly AuditEventKind MySqlStatementFetch = new(AuditEventTypes.MySqlStatementFetch, "TMY05I", "MySQL COM_STMT_FETCH.");

    public static readonly AuditEventKind MySqlInitDb = new(AuditEventTypes.MySqlInitDb, "TMY06I", "MySQL COM_INIT_DB (db_name is the new schema).");

    public static readonly AuditEventKind MySqlCreateDb = new(AuditEventTypes.MySqlCreateDb, "TMY07I", "MySQL COM_CREATE_DB.");

    public static readonly AuditEventKind MySqlDropDb = new(AuditEventTypes.MySqlDropDb, "TMY08I", "MySQL COM_DROP_DB.");

    public static readonly AuditEventKind MySqlShutDown = new(AuditEventTypes.MySqlShutDown, "TMY09I", "MySQL COM_SHUTDOWN.");

    public static readonly AuditEventKind MySqlProcessKill = new(AuditEventTypes.MySqlProcessKill, "TMY10I", "MySQL COM_PROCESS_KILL (details: process_id).");

    public static readonly AuditEventKind MySqlDebug = new(AuditEventTypes.MySqlDebug, "TMY11I", "MySQL COM_DEBUG.");

    public static readonly AuditEventKind MySqlRefresh = new(AuditEventTypes.MySqlRefresh, "TMY12I", "MySQL COM_REFRESH (details: subcommand).");

    public static readonly AuditEventKind MySqlChangeUser = new(AuditEventTypes.MySqlChangeUser, "TMY13I", "MySQL COM_CHANGE_USER (db_user is the requested user).");

    public static readonly AuditEventKind MySqlResetConnection = new(AuditEventTypes.MySqlResetConnection, "TMY14I", "MySQL COM_RESET_CONNECTION.");

    public static readonly AuditEventKind MySqlSetOption = new(AuditEventTypes.MySqlSetOption, "TMY15I", "MySQL COM_SET_OPTION.");

    public static readonly AuditEventKind MySqlFieldList = new(AuditEventTypes.MySqlFieldList, "TMY16I", "MySQL COM_FIELD_LIST (details: table).");

    public static readonly AuditEventKind MySqlStatistics = new(AuditEventTypes.MySqlStatistics, "TMY17I", "MySQL COM_STATISTICS.");

    public static readonly AuditEventKind MySqlProcessInfo = new(AuditEventTypes.MySqlProcessInfo, "TMY18I", "MySQL COM_PROCESS_INFO.");

    public static readonly AuditEventKind MySqlReplicationAllowed = new(AuditEventTypes.MySqlReplication, "TMY19I", "MySQL replication command (COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID, COM_REGISTER_SLAVE) allowed by a role with options.mysql_replication (details: command).");

    public static readonly AuditEventKind MySqlReplicationDenied = new(AuditEventTypes.MySqlReplication, "TMY19W", "MySQL replication command refused: no role allows mysql_replication (details: command).");

    public static readonly AuditEventKind MySqlCommandRefused = new(AuditEventTypes.MySqlCommandRefused, "TMY20W", "A MySQL command Ferry does not relay was refused (details: command, code).");

    public static readonly AuditEventKind MySqlSchemaChange = new(AuditEventTypes.MySqlSchemaChange, "TMY21I", "The server reported a new default schema (db_name), whatever statement moved it.");

    public static readonly AuditEventKind MySqlSchemaChangeDenied = new(AuditEventTypes.MySqlSchemaChange, "TMY21W", "The server reported a default schema (db_name) the roles do not allow, or session tracking turned off: the session was ended.");

    public static readonly AuditEventKind UserLoginSuccess = new(AuditEventTypes.UserLogin, "T1000I", "A user logged in (details: method, mfa).");

    public static readonly AuditEventKind UserLoginFailure = new(AuditEventTypes.UserLogin, "T1000W", "A login failed (error says why).");

    public static readonly AuditEventKind UserLogout = new(AuditEventTypes.UserLogout, "T1001I", "A user logged out or a session certificate was revoked.");

    public static readonly AuditEventKind UserCreate = new(AuditEventTypes.UserCreate, "T1002I", "A user was created.");

    public static readonly AuditEventKind UserUpdate = new(AuditEventTypes.UserUpdate, "T1003I", "A user was updated.");

    public static readonly AuditEventKind UserDelete = new(AuditEventTypes.UserDelete, "T1004I", "A user was deleted.");

    public static readonly AuditEventKind RoleCreate = new(AuditEventTypes.RoleCreate, "T9000I", "A role was created.");

    public static readonly AuditEventKind RoleUpdate = new(AuditEventTypes.RoleUpdate, "T9002I", "A role was updated.");

    public static readonly AuditEventKind RoleDelete = new(AuditEventTypes.RoleDelete, "T9001I", "A role was deleted.");

    public static readonly AuditEventKind SsoConnectorCreate = new(AuditEventTypes.SsoConnectorCreate, "T9010I", "An SSO connector was stored or replaced with `ferryd admin sso add` (details: connector, issuer, action).");

    public static readonly AuditEventKind SsoConnectorDelete = new(AuditEventTypes.SsoConnectorDelete, "T9011I", "A stored SSO connector was removed with `ferryd admin sso rm` (details: connector).");

    public static readonly AuditEventKind TokenCreate = new(AuditEventTypes.TokenCreate, "T9003I", "A join or invite token was created.");

    public static readonly AuditEventKind TokenDelete = new(AuditEventTypes.TokenDelete, "T9004I", "A token was deleted.");

    public static readonly AuditEventKind LockCreate = new(AuditEventTypes.LockCreate, "T9006I", "A lock was created.");

    public static readonly AuditEventKind LockDelete = new(AuditEventTypes.LockDelete, "T9007I", "A lock was deleted.");

    public static readonly AuditEventKind SessionTerminate = new(AuditEventTypes.SessionTerminate, "T9020I", "An admin ended a live database session with `ferry sessions end` (details: session, reason, lock, database, session_user, agent).");

    public static readonly AuditEventKind SessionTerminateRefused = new(AuditEventTypes.SessionTerminate, "T9020W", "Ending a live session was refused: the caller is not an admin, or no such session is live (error says why; details: session, reason).");

    public static readonly AuditEventKind EgressBudgetExceeded = new(AuditEventTypes.EgressExceeded, "TEG00W", "An egress budget (roles' egress) was crossed by a user on a database: the session that crossed it ends and new ones are refused until the window moves (details: database, rows, bytes, rows_limit, bytes_limit, per, window_end, agent).");

    public static readonly AuditEventKind HostJoinSuccess = new(AuditEventTypes.HostJoin, "TJ001I", "A proxy or agent joined the cluster.");

    public static readonly AuditEventKind HostJoinFailure = new(AuditEventTypes.HostJoin, "TJ001W", "A join attempt was refused.");

    public static readonly AuditEventKind CertIssue = new(AuditEventTypes.CertIssue, "TC000I", "A certificate was issued (details: kind, ttl, principals).");

    public static readonly AuditEventKind CertIssueDenied = new(AuditEventTypes.CertIssue, "TC000W", "A certificate request was refused (error says why; details: kind, host_id, database, db_user).");

    public static readonly AuditEventKind SessionMfaSuccess = new(AuditEventTypes.SessionMfa, "TMF00I", "A session MFA check passed and a session-MFA certificate was issued (details: database, db_user, device, expires, session_expires, grant_expires).");

    public static readonly AuditEventKind SessionMfaFailure = new(AuditEventTypes.SessionMfa, "TMF00W", "A session-MFA certificate was refused (details: database, reason session_mfa_required, session_mfa_failed or session_mfa_throttled).");

    public static readonly AuditEventKind SessionMfaGrantUse = new(AuditEventTypes.SessionMfaGrant, "TMF01I", "An MFA grant (session_mfa_window) obtained a new session-MFA certificate without a code (details: database, expires, grant_expires).");

    public static readonly AuditEventKind SessionMfaGrantRefused = new(AuditEventTypes.SessionMfaGrant, "TMF01W", "An MFA grant was refused: unknown, ended, or for another key, user or route (details: database, reason).");

    public static readonly AuditEventKind MfaDeviceAdd = new(AuditEventTypes.MfaDeviceAdd, "TMF02I", "A TOTP device was added and confirmed with its first code (details: device).");

    public static readonly AuditEventKind MfaDeviceAddFailure = new(AuditEventTypes.MfaDeviceAdd, "TMF02W", "Adding or confirming a TOTP device was refused (details: device, reason).");

    public static readonly AuditEventKind MfaDeviceDelete = new(AuditEventTypes.MfaDeviceDelete, "TMF03I", "A TOTP device was removed (details: device).");

    public static readonly AuditEventKind HostRemove = new(AuditEventTypes.HostRemove, "TJ002I", "A host was removed (`ferryd admin hosts rm`): its certificate stops working.");

    public static readonly AuditEventKind HostShare = new(AuditEventTypes.HostShare, "TJ005I", "A database name was shared with another agent, or no longer (`ferryd admin hosts share` or `unshare`; details: database, host_id, shared).");

    public static readonly AuditEventKind HostReportRefused = new(AuditEventTypes.HostReport, "TJ003W", "A host's report was refused in whole or part (details: host_id, role, report, reason).");

    public static readonly AuditEventKind ApiConnectionRefused = new(AuditEventTypes.ApiConnection, "TJ004W", "Connections to the auth API were refused before TLS (details: reason proxy_header_invalid or api_connections_per_source, count, window), aggregated per reason and source address.");

    public static readonly AuditEventKind ApiRequestRefused = new(AuditEventTypes.ApiRequest, "TJ006W", "Requests to the auth API were refused as malformed (details: reason bad_request or request_too_large, count, window; error: the path and what was wrong), aggregated per reason and source address.");

    public static readonly AuditEventKind WebRequestRefused = new(AuditEventTypes.WebRequest, "TWB00W", "Web UI requests were refused (details: reason csrf or forbidden, count, window), aggregated per reason and source address.");

    public static readonly AuditEventKind AccessRequestCreate = new(AuditEventTypes.AccessRequestCreate, "T5000I", "An access request was created (details: id, requester, requested_roles, resources, reason, duration, pending_expires, reviewers).");

    public static readonly AuditEventKind AccessRequestCreateRefused = new(AuditEventTypes.AccessRequestCreate, "T5000W", "An access request was refused at create: role not requestable, unknown database, missing reason, too many pending… (error says why; details: reason).");

    public static readonly AuditEventKind AccessRequestReview = new(AuditEventTypes.AccessRequestReview, "T5001I", "A reviewer approved or denied an access request (details: id, reviewer, decision, review_reason, state after the review).");

    public static readonly AuditEventKind AccessRequestReviewRefused = new(AuditEventTypes.AccessRequestReview, "T5001W", "A review was refused: not a reviewer for the roles, self-review, already reviewed, not pending (error says why; details: id, reason).");

    public static readonly AuditEventKind AccessRequestGrant = new(AuditEventTypes.AccessRequestGrant, "T5002I", "An access request reached its approval threshold: access is granted until access_expires (details: id, requester, requested_roles, resources, reviewer, access_expires).");

    public static readonly AuditEventKind AccessRequestDeny = new(AuditEventTypes.AccessRequestDeny, "T5003I", "An access request reached its denial threshold (details: id, requester, requested_roles, reviewer).");

    public static readonly AuditEventKind AccessRequestExpire = new(AuditEventTypes.AccessRequestExpire, "T5004I", "A pending request passed pending_ttl, or a grant ended (details: id, was pending or approved).");

    public static readonly AuditEventKind AccessRequestDrop = new(AuditEventTypes.AccessRequestDrop, "T5005I", "A request was withdrawn or a grant dropped early; a dropped grant is locked until its end (details: id, was, lock, drop_reason).");

    public static readonly AuditEventKind AccessRequestDropRefused = new(AuditEventTypes.AccessRequestDrop, "T5005W", "A drop was refused: not the requester, not pending or approved (error says why; details: id, reason).");

    public static readonly AuditEventKind AuditRetention = new(AuditEventTypes.AuditRetention, "TAU00I", "Audit segments were removed by retention (details: segments, events, anchor).");

    /// <summary>All kinds, in the order of docs/audit-events.md.</summary>
    public static IReadOnlyList<AuditEventKind> All { get; } =
    [
        DbSessionStartAllowed,
        DbSessionStartDenied,
        DbSessionEnd,
        DbSessionQuery,
        DbSessionQueryFailed,
        DbSessionCancel,
        DbSessionCancelRefused,
        DbSessionResult,
        DbSessionResultFailed,
        DbSessionParse,
        DbSessionBind,
        DbSessionExecute,
        DbSessionClose,
        DbSessionFunctionCall,
        MySqlStatementPrepare,
        MySqlStatementExecute,
        MySqlStatementSendLongData,
        MySqlStatementClose,
        MySqlStatementReset,
        MySqlStatementFetch,
        MySqlInitDb,
        MySqlCreateDb,
        MySqlDropDb,
        MySqlShutDown,
        MySqlProcessKill,
        MySqlDebug,
        MySqlRefresh,
        MySqlChangeUser,
        MySqlResetConnection,
        MySqlSetOption,
        MySqlFieldList,
        MySqlStatistics,
        MySqlProcessInfo,
        MySqlReplicationAllowed,
        MySqlReplicationDenied,
        MySqlCommandRefused,
        MySqlSchemaChange,
        MySqlSchemaChangeDenied,
        UserLoginSuccess,
        UserLoginFailure,
        UserLogout,
        UserCreate,
        UserUpdate,
        UserDelete,
        RoleCreate,
        RoleUpdate,
        RoleDelete,
        SsoConnectorCreate,
        SsoConnectorDelete,
        TokenCreate,
        TokenDelete,
        LockCreate,
        LockDelete,
        SessionTerminate,
        SessionTerminateRefused,
        EgressBudgetExceeded,
        HostJoinSuccess,
        HostJoinFailure,
        CertIssue,
        CertIssueDenied,
        SessionMfaSuccess,
        SessionMfaFailure,
        SessionMfaGrantUse,
        SessionMfaGrantRefused,
        MfaDeviceAdd,
        MfaDeviceAddFailure,
        MfaDeviceDelete,
        HostRemove,
        HostShare,
        HostReportRefused,
        ApiConnectionRefused,
        ApiRequestRefused,
        WebRequestRefused,
        AccessRequestCreate,
        AccessRequestCreateRefused,
        AccessRequestReview,
        AccessRequestReviewRefused,
        AccessRequestGrant,
        AccessRequestDeny,
        AccessRequestExpire,
        AccessRequestDrop,
        AccessRequestDropRefused,
        AuditRetention,
    ];
}
