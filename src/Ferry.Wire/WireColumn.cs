namespace Ferry.Wire;

/// <summary>One column of a result set: its name and the type's name (<c>int4</c>, <c>varchar</c>, or an OID).</summary>
public sealed record WireColumn(string Name, string Type);
