namespace Ferry.Audit;

/// <summary>Stable event type names. Never rename one: stored events and saved searches refer to them.</summary>
public static class AuditEventTypes
{
    public const string DbSessionStart = "db.session.start";
    public const string DbSessionEnd = "db.session.end";
    public const string DbSessionQuery = "db.session.query";
    public const string DbSessionParse = "db.session.parse";
    public const string DbSessionBind = "db.session.bind";
    public const string DbSessionExecute = "db.session.execute";
    public const string DbSessionClose = "db.session.close";
    public const string DbSessionFunctionCall = "db.session.function_call";
    public const string DbSessionCancel = "db.session.cancel";
    public const string DbSessionResult = "db.session.result";

    public const string MySqlStatementPrepare = "db.session.mysql.statements.prepare";
    public const string MySqlStatementExecute = "db.session.mysql.statements.execute";
    public const string MySqlStatementSendLongData = "db.session.mysql.statements.send_long_data";
    public const string MySqlStatementClose = "db.session.mysql.statements.close";
    public const string MySqlStatementReset = "db.session.mysql.statements.reset";
    public const string MySqlStatementFetch = "db.session.mysql.statements.fetch";
    public const string MySqlInitDb = "db.session.mysql.init_db";
    public const string MySqlCreateDb = "db.session.mysql.create_db";
    public const string MySqlDropDb = "db.session.mysql.drop_db";
    public const string MySqlShutDown = "db.session.mysql.shut_down";
    public const string MySqlProcessKill = "db.session.mysql.process_kill";
    public const string MySqlDebug = "db.session.mysql.debug";
    public const string MySqlRefresh = "db.session.mysql.refresh";
    public const string MySqlChangeUser = "db.session.mysql.change_user";
    public const string MySqlResetConnection = "db.session.mysql.reset_connection";
    public const string MySqlSetOption = "db.session.mysql.set_option";
    public const string MySqlFieldList = "db.session.mysql.field_list";
    public const string MySqlStatistics = "db.session.mysql.statistics";
    public const string MySqlProcessInfo = "db.session.mysql.process_info";
    public const string MySqlReplication = "db.session.mysql.replication";
    public const string MySqlCommandRefused = "db.session.mysql.command_refused";
    public const string MySqlSchemaChange = "db.session.mysql.schema_change";

    public const string UserLogin = "user.login";
    public const string UserLogout = "user.logout";
    public const string UserCreate = "user.create";
    public const string UserUpdate = "user.update";
    public const string UserDelete = "user.delete";
    public const string RoleCreate = "role.create";
    public const string RoleUpdate = "role.update";
    public const string RoleDelete = "role.delete";
    public const string SsoConnectorCreate = "sso_connector.create";
    public const string SsoConnectorDelete = "sso_connector.delete";
    public const string TokenCreate = "token.create";
    public const string TokenDelete = "token.delete";
    public const string LockCreate = "lock.create";
    public const string LockDelete = "lock.delete";
    public const string SessionTerminate = "session.terminate";
    public const string EgressExceeded = "egress.exceeded";
    public const string HostJoin = "host.join";
    public const string HostRemove = "host.remove";
    public const string HostReport = "host.report";
    public const string HostShare = "host.share";
    public const string ApiConnection = "api.connection";
    public const string ApiRequest = "api.request";
    public const string WebRequest = "web.request";
    public const string CertIssue = "cert.issue";
    public const string SessionMfa = "session.mfa";
    public const string SessionMfaGrant = "session.mfa.grant";
    public const string MfaDeviceAdd = "mfa.device.add";
    public const string MfaDeviceDelete = "mfa.device.delete";
    public const string AccessRequestCreate = "access_request.create";
    public const string AccessRequestReview = "access_request.review";
    public const string AccessRequestGrant = "access_request.grant";
    public const string AccessRequestDeny = "access_request.deny";
    public const string AccessRequestExpire = "access_request.expire";
    public const string AccessRequestDrop = "access_request.drop";
    public const string AuditRetention = "audit.retention";
}
