namespace Ferry.Audit;

/// <summary>Stable event codes. The last letter is I (info/success) or W (warning/denied/failed).</summary>
public static class AuditEventCodes
{
    /// <summary>A database session was authorised and started.</summary>
    public const string DbSessionStartAllowed = "TDB00I";

    /// <summary>A database session was denied (RBAC, lock, bad certificate, database refused).</summary>
    public const string DbSessionStartDenied = "TDB00W";

    /// <summary>A database session ended (end_reason, bytes, duration).</summary>
    public const string DbSessionEnd = "TDB01I";

    /// <summary>A simple query (PG Query, MySQL COM_QUERY) was sent.</summary>
    public const string DbSessionQuery = "TDB02I";

    /// <summary>A simple query returned an error.</summary>
    public const string DbSessionQueryFailed = "TDB02W";

    /// <summary>A query cancel request was routed to the session.</summary>
    public const string DbSessionCancel = "TDB03I";

    /// <summary>PostgreSQL extended protocol Parse.</summary>
    public const string DbSessionParse = "TPG00I";

    /// <summary>PostgreSQL extended protocol Bind (parameters).</summary>
    public const string DbSessionBind = "TPG01I";

    /// <summary>PostgreSQL extended protocol Execute.</summary>
    public const string DbSessionExecute = "TPG02I";

    /// <summary>PostgreSQL extended protocol Close (statement or portal).</summary>
    public const string DbSessionClose = "TPG03I";

    /// <summary>PostgreSQL FunctionCall (details: function_oid).</summary>
    public const string DbSessionFunctionCall = "TPG04I";

    /// <summary>MySQL COM_STMT_PREPARE.</summary>
    public const string MySqlStatementPrepare = "TMY00I";

    /// <summary>MySQL COM_STMT_EXECUTE (parameters).</summary>
    public const string MySqlStatementExecute = "TMY01I";

    /// <summary>MySQL COM_STMT_SEND_LONG_DATA.</summary>
    public const string MySqlStatementSendLongData = "TMY02I";

    /// <summary>MySQL COM_STMT_CLOSE.</summary>
    public const string MySqlStatementClose = "TMY03I";

    /// <summary>MySQL COM_STMT_RESET.</summary>
    public const string MySqlStatementReset = "TMY04I";

    /// <summary>MySQL COM_STMT_FETCH.</summary>
    public const string MySqlStatementFetch = "TMY05I";

    /// <summary>MySQL COM_INIT_DB (db_name is the new schema).</summary>
    public const string MySqlInitDb = "TMY06I";

    /// <summary>MySQL COM_CREATE_DB.</summary>
    public const string MySqlCreateDb = "TMY07I";

    /// <summary>MySQL COM_DROP_DB.</summary>
    public const string MySqlDropDb = "TMY08I";

    /// <summary>MySQL COM_SHUTDOWN.</summary>
    public const string MySqlShutDown = "TMY09I";

    /// <summary>MySQL COM_PROCESS_KILL (details: process_id).</summary>
    public const string MySqlProcessKill = "TMY10I";

    /// <summary>MySQL COM_DEBUG.</summary>
    public const string MySqlDebug = "TMY11I";

    /// <summary>MySQL COM_REFRESH (details: subcommand).</summary>
    public const string MySqlRefresh = "TMY12I";

    /// <summary>MySQL COM_CHANGE_USER (db_user is the requested user).</summary>
    public const string MySqlChangeUser = "TMY13I";

    /// <summary>MySQL COM_RESET_CONNECTION.</summary>
    public const string MySqlResetConnection = "TMY14I";

    /// <summary>MySQL COM_SET_OPTION.</summary>
    public const string MySqlSetOption = "TMY15I";

    /// <summary>A user logged in (details: method, mfa).</summary>
    public const string UserLoginSuccess = "T1000I";

    /// <summary>A login failed (error says why).</summary>
    public const string UserLoginFailure = "T1000W";

    /// <summary>A user logged out or a session certificate was revoked.</summary>
    public const string UserLogout = "T1001I";

    /// <summary>A user was created.</summary>
    public const string UserCreate = "T1002I";

    /// <summary>A user was updated.</summary>
    public const string UserUpdate = "T1003I";

    /// <summary>A user was deleted.</summary>
    public const string UserDelete = "T1004I";

    /// <summary>A role was created.</summary>
    public const string RoleCreate = "T9000I";

    /// <summary>A role was updated.</summary>
    public const string RoleUpdate = "T9002I";

    /// <summary>A role was deleted.</summary>
    public const string RoleDelete = "T9001I";

    /// <summary>A join or invite token was created.</summary>
    public const string TokenCreate = "T9003I";

    /// <summary>A token was deleted.</summary>
    public const string TokenDelete = "T9004I";

    /// <summary>A lock was created.</summary>
    public const string LockCreate = "T9006I";

    /// <summary>A lock was deleted.</summary>
    public const string LockDelete = "T9007I";

    /// <summary>A proxy or agent joined the cluster.</summary>
    public const string HostJoinSuccess = "TJ001I";

    /// <summary>A join attempt was refused.</summary>
    public const string HostJoinFailure = "TJ001W";

    /// <summary>A certificate was issued (details: kind, ttl, principals).</summary>
    public const string CertIssue = "TC000I";

    /// <summary>An access request was created.</summary>
    public const string AccessRequestCreate = "T5000I";

    /// <summary>An access request was approved or denied.</summary>
    public const string AccessRequestReview = "T5001I";

    /// <summary>Audit segments were removed by retention (details: segments, events, anchor).</summary>
    public const string AuditRetention = "TAU00I";
}
