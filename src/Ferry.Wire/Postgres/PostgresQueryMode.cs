namespace Ferry.Wire.Postgres;

/// <summary>How a statement is sent.</summary>
public enum PostgresQueryMode
{
    /// <summary>Query: parsed and planned every time.</summary>
    Simple,

    /// <summary>Parse (unnamed), Bind, Execute, Sync every time.</summary>
    Extended,

    /// <summary>Parse once into a named statement, then Bind, Execute, Sync.</summary>
    Prepared,
}
