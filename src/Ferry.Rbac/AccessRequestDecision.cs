namespace Ferry.Rbac;

/// <summary>Where the reviews of a request leave it.</summary>
public enum AccessRequestDecision
{
    Pending,
    Approved,
    Denied,
}
