namespace Ferry.Client;

/// <summary>Protocol names as the API spells them.</summary>
public static class DatabaseProtocols
{
    public const string Postgres = "postgres";

    public const string MySql = "mysql";
}
