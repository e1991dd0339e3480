namespace Ferry.Audit;

/// <summary>Why a database session ended; written as <c>end_reason</c> (see <see cref="SessionEndReasonNames"/>).</summary>
public enum SessionEndReason
{
    /// <summary>The client closed its side (or sent Terminate / COM_QUIT).</summary>
    ClientClosed,

    /// <summary>The database closed its side.</summary>
    DatabaseClosed,

    /// <summary>The client sent a malformed message.</summary>
    ClientProtocolError,

    /// <summary>The database sent a malformed message.</summary>
    DatabaseProtocolError,

    /// <summary>A lock created during the session covers it.</summary>
    Lock,

    /// <summary>The user's certificate expired during the session.</summary>
    CertExpired,

    /// <summary>The session moved somewhere its roles do not allow (a MySQL schema outside db_names): the agent ended it.</summary>
    AccessDenied,

    /// <summary>The client sent nothing for longer than the roles' <c>idle_timeout</c>: the agent ended it.</summary>
    IdleTimeout,

    /// <summary>The user's egress budget (the roles' <c>egress</c>) was spent during the session: the agent ended it.</summary>
    Egress,
}
