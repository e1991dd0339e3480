using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

/// <summary>
/// Log events of the auth service and its API (event ids 7100–7199). Who and from where, bounded in length,
/// never passwords, codes or keys; failed logins are logged as window summaries, not one line each.
/// </summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7100, EventName = "LoginFailuresSummarised", Level = LogLevel.Information,
        Message = "{Count} more failed or refused logins for user {User} from {Source} in the last {Window}: {Reason}")]
    public static partial void LoginFailuresSummarised(ILogger logger, string user, string source, string reason, long count, string window);

    [LoggerMessage(EventId = 7101, EventName = "LoginFailuresOverflow", Level = LogLevel.Warning,
        Message = "{Count} failed or refused logins in the last {Window} from too many distinct users and sources to list")]
    public static partial void LoginFailuresOverflow(ILogger logger, long count, string window);

    [LoggerMessage(EventId = 7102, EventName = "SessionMfaRefused", Level = LogLevel.Information,
        Message = "Session MFA for user {User} from {Source} to database {Database} refused ({Reason})")]
    public static partial void SessionMfaRefused(ILogger logger, string user, string source, string database, string reason);

    [LoggerMessage(EventId = 7103, EventName = "SessionMfaPassed", Level = LogLevel.Information,
        Message = "Session MFA for user {User} from {Source} to database {Database} passed ({Method}); certificate until {Expires}")]
    public static partial void SessionMfaPassed(ILogger logger, string user, string source, string database, string method, DateTimeOffset expires);

    [LoggerMessage(EventId = 7104, EventName = "MfaDeviceChanged", Level = LogLevel.Information,
        Message = "TOTP device {Device} of user {User} {Change} from {Source}")]
    public static partial void MfaDeviceChanged(ILogger logger, string user, string device, string change, string source);

    [LoggerMessage(EventId = 7110, EventName = "ApiRequestRefused", Level = LogLevel.Information,
        Message = "API request {Path} from {Client} refused ({Reason}): {Detail}")]
    public static partial void RequestRefused(ILogger logger, string path, string client, string reason, string detail);

    [LoggerMessage(EventId = 7111, EventName = "ApiConnectionRefused", Level = LogLevel.Information,
        Message = "API connection from {Client} refused ({Reason}): {Detail}")]
    public static partial void ConnectionRefused(ILogger logger, string client, string reason, string detail);

    [LoggerMessage(EventId = 7112, EventName = "ApiClientAddressFromProxy", Level = LogLevel.Debug,
        Message = "API connection from proxy {ProxyId} at {Peer} for client {Client}")]
    public static partial void ClientAddressFromProxy(ILogger logger, string proxyId, string peer, string client);

    [LoggerMessage(EventId = 7120, EventName = "SsoLoginSucceeded", Level = LogLevel.Information,
        Message = "SSO login of {User} through connector {Connector} from {Client}: roles {Roles}")]
    public static partial void SsoLoginSucceeded(ILogger logger, string user, string connector, string roles, string client);

    [LoggerMessage(EventId = 7121, EventName = "SsoLoginFailed", Level = LogLevel.Information,
        Message = "SSO login through connector {Connector} from {Client} refused ({Reason}): {Detail}")]
    public static partial void SsoLoginFailed(ILogger logger, string connector, string reason, string client, string detail);

    [LoggerMessage(EventId = 7122, EventName = "SsoConnectorShadowed", Level = LogLevel.Warning,
        Message = "stored SSO connector {Connector} is ignored: ferry.yaml defines a connector with the same name")]
    public static partial void SsoConnectorShadowed(ILogger logger, string connector);

    [LoggerMessage(EventId = 7123, EventName = "SsoConnectorInvalid", Level = LogLevel.Warning,
        Message = "stored SSO connector {Connector} is ignored: {Problem}")]
    public static partial void SsoConnectorInvalid(ILogger logger, string connector, string problem);

    [LoggerMessage(EventId = 7124, EventName = "SsoConnectorRoleMissing", Level = LogLevel.Warning,
        Message = "SSO connector {Connector} maps claims to role {Role}, which does not exist (yet): users mapped only to it are refused")]
    public static partial void SsoConnectorRoleMissing(ILogger logger, string connector, string role);

    [LoggerMessage(EventId = 7130, EventName = "AccessRequestCreated", Level = LogLevel.Information,
        Message = "Access request {Id} created by {User}: roles {Roles}, resources {Resources}")]
    public static partial void AccessRequestCreated(ILogger logger, string id, string user, string roles, string resources);

    [LoggerMessage(EventId = 7131, EventName = "AccessRequestReviewed", Level = LogLevel.Information,
        Message = "Access request {Id} reviewed by {Reviewer}: {Decision}; now {State}")]
    public static partial void AccessRequestReviewed(ILogger logger, string id, string reviewer, string decision, string state);

    [LoggerMessage(EventId = 7132, EventName = "AccessRequestDropped", Level = LogLevel.Information,
        Message = "Access request {Id} dropped by {Actor} (was {Was})")]
    public static partial void AccessRequestDropped(ILogger logger, string id, string actor, string was);

    [LoggerMessage(EventId = 7133, EventName = "AccessRequestExpired", Level = LogLevel.Information,
        Message = "Access request {Id} of {User} expired (was {Was})")]
    public static partial void AccessRequestExpired(ILogger logger, string id, string user, string was);

    [LoggerMessage(EventId = 7134, EventName = "AccessRequestRefused", Level = LogLevel.Information,
        Message = "{Action} by {User} refused ({Reason}): {Detail}")]
    public static partial void AccessRequestRefused(ILogger logger, string action, string user, string reason, string detail);

    [LoggerMessage(EventId = 7135, EventName = "AccessRequestSweepFailed", Level = LogLevel.Warning,
        Message = "Access request expiry sweep failed (retried at the next interval): {Error}")]
    public static partial void AccessRequestSweepFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 7136, EventName = "NotificationFailed", Level = LogLevel.Warning,
        Message = "Webhook notification {Event} for access request {Id} failed after {Attempts} attempts: {Error}")]
    public static partial void NotificationFailed(ILogger logger, string @event, string id, int attempts, string error);

    [LoggerMessage(EventId = 7137, EventName = "NotificationDropped", Level = LogLevel.Warning,
        Message = "Webhook notification {Event} for access request {Id} dropped: the queue holds {Capacity} notifications already")]
    public static partial void NotificationDropped(ILogger logger, string @event, string id, int capacity);

    [LoggerMessage(EventId = 7190, EventName = "BackendReadFailed", Level = LogLevel.Warning,
        Message = "Reading changes from the PostgreSQL backend failed (watchers keep their position and retry): {Error}")]
    public static partial void BackendReadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 7191, EventName = "BackendSweepFailed", Level = LogLevel.Warning,
        Message = "Removing expired items from the PostgreSQL backend failed (retried in a second): {Error}")]
    public static partial void BackendSweepFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 7192, EventName = "BackendListenerFailed", Level = LogLevel.Warning,
        Message = "The PostgreSQL backend listener connection failed (watchers poll every second meanwhile); reconnecting in {DelaySeconds} s: {Error}")]
    public static partial void BackendListenerFailed(ILogger logger, string error, double delaySeconds);

    [LoggerMessage(EventId = 7193, EventName = "BackendListenerReconnected", Level = LogLevel.Information,
        Message = "The PostgreSQL backend listener is connected again")]
    public static partial void BackendListenerReconnected(ILogger logger);

    [LoggerMessage(EventId = 7260, EventName = "SharedCaChanged", Level = LogLevel.Information,
        Message = "The {Kind} CA changed in the shared backend (rotation by another auth server): now in phase {Phase}")]
    public static partial void SharedCaChanged(ILogger logger, string kind, string phase);

    [LoggerMessage(EventId = 7261, EventName = "SharedCaWatchFailed", Level = LogLevel.Warning,
        Message = "Following the shared CAs in the backend failed (retrying in {DelaySeconds} s): {Error}")]
    public static partial void SharedCaWatchFailed(ILogger logger, string error, double delaySeconds);

    [LoggerMessage(EventId = 7262, EventName = "SharedCaOpened", Level = LogLevel.Information,
        Message = "CAs loaded from the shared backend, private keys sealed with the key from {Source}")]
    public static partial void SharedCaOpened(ILogger logger, string source);

    [LoggerMessage(EventId = 7263, EventName = "AuthServerStarted", Level = LogLevel.Information,
        Message = "Auth server {ServerId} listening on {Endpoint} (proxy in process: {WithProxy})")]
    public static partial void ServerStarted(ILogger logger, string serverId, string endpoint, bool withProxy);
}
