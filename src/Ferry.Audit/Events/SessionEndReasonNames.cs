namespace Ferry.Audit;

/// <summary>The stored <c>end_reason</c> of each <see cref="SessionEndReason"/>. Never change one: searches refer to them.</summary>
public static class SessionEndReasonNames
{
    public static string ToName(this SessionEndReason reason) => reason switch
    {
        SessionEndReason.ClientClosed => "client_closed",
        SessionEndReason.DatabaseClosed => "database_closed",
        SessionEndReason.ClientProtocolError => "client_protocol_error",
        SessionEndReason.DatabaseProtocolError => "database_protocol_error",
        SessionEndReason.Lock => "lock",
        SessionEndReason.CertExpired => "cert_expired",
        SessionEndReason.AccessDenied => "access_denied",
        SessionEndReason.IdleTimeout => "idle_timeout",
        SessionEndReason.Egress => "egress",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "unknown session end reason"),
    };
}
