namespace Ferry.Identity;

/// <summary>Wire protocol of a database service; encoded as "postgres" or "mysql".</summary>
public enum DatabaseProtocol
{
    /// <summary>PostgreSQL, encoded "postgres".</summary>
    Postgres,

    /// <summary>MySQL or MariaDB, encoded "mysql".</summary>
    MySql,
}
