namespace Ferry.Rbac;

/// <summary>
/// What a user may do on one database, for listings. Values are patterns after trait expansion and may
/// contain <c>*</c>; exact values named by a deny rule are removed, and a deny of <c>*</c> empties the list.
/// </summary>
/// <param name="Visible">Whether the user can see the database at all (labels only).</param>
/// <param name="DbUsers">Database users the user may connect as.</param>
/// <param name="DbNames">Database names the user may open.</param>
public sealed record DbAccessSummary(bool Visible, IReadOnlyList<string> DbUsers, IReadOnlyList<string> DbNames);
