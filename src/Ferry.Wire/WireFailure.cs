namespace Ferry.Wire;

/// <summary>Why a wire client could not open a session.</summary>
public enum WireFailure
{
    /// <summary>The server (or Ferry in front of it) answered with an error: RBAC, a lock, a wrong password, an unknown database.</summary>
    Refused,

    /// <summary>The connection closed or broke during start-up.</summary>
    Closed,

    /// <summary>The server asked for something this client does not do (an auth method, a missing password).</summary>
    Unsupported,
}
