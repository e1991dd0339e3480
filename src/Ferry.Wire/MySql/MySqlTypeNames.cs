namespace Ferry.Wire.MySql;

/// <summary>Names of MySQL column types (protocol type codes).</summary>
public static class MySqlTypeNames
{
    public static string Name(byte type) => type switch
    {
        0 => "decimal",
        1 => "tinyint",
        2 => "smallint",
        3 => "int",
        4 => "float",
        5 => "double",
        6 => "null",
        7 => "timestamp",
        8 => "bigint",
        9 => "mediumint",
        10 => "date",
        11 => "time",
        12 => "datetime",
        13 => "year",
        15 => "varchar",
        16 => "bit",
        245 => "json",
        246 => "decimal",
        247 => "enum",
        248 => "set",
        249 => "tinyblob",
        250 => "mediumblob",
        251 => "longblob",
        252 => "blob",
        253 => "varchar",
        254 => "char",
        255 => "geometry",
        _ => "type:" + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
