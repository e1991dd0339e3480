namespace Ferry.Rbac;

/// <summary>A database as RBAC sees it: its service name and labels.</summary>
public sealed record DatabaseTarget(string Name, IReadOnlyDictionary<string, string> Labels);
