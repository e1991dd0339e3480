namespace Ferry.Auth.Backend;

/// <summary>What happened to a key.</summary>
public enum BackendEventKind
{
    /// <summary>Created or replaced.</summary>
    Put = 1,

    /// <summary>Deleted or expired.</summary>
    Delete = 2,
}
