namespace Ferry.Wire.Postgres;

/// <summary>Names of the built-in PostgreSQL types a console shows (others by OID).</summary>
public static class PostgresTypeNames
{
    public static string Name(int oid) => oid switch
    {
        16 => "bool",
        17 => "bytea",
        18 => "char",
        19 => "name",
        20 => "int8",
        21 => "int2",
        23 => "int4",
        25 => "text",
        26 => "oid",
        114 => "json",
        142 => "xml",
        700 => "float4",
        701 => "float8",
        790 => "money",
        869 => "inet",
        1042 => "bpchar",
        1043 => "varchar",
        1082 => "date",
        1083 => "time",
        1114 => "timestamp",
        1184 => "timestamptz",
        1186 => "interval",
        1266 => "timetz",
        1700 => "numeric",
        2950 => "uuid",
        3802 => "jsonb",
        _ => "oid:" + oid.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
