namespace Ferry.Rbac;

/// <summary>
/// A role's <c>egress</c> budget: how many rows and bytes one user may take from one database within a window
/// (<c>per</c>), counted across every session, agent and proxy. A null <see cref="Rows"/> or <see cref="Bytes"/>
/// sets no limit on that count. With several roles, the smallest of each wins.
/// </summary>
public sealed record EgressLimit(long? Rows, long? Bytes, TimeSpan Per);
