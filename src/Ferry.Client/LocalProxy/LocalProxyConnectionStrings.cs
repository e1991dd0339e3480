using System.Globalization;

namespace Ferry.Client;

/// <summary>
/// What <c>ferry proxy db</c> prints: connection strings, a URI, a JDBC URL and a command line that reach the
/// local endpoint, each with the per-run password when one is asked (printed once, here).
/// </summary>
public static class LocalProxyConnectionStrings
{
    public static IReadOnlyList<string> Lines(string protocol, LocalProxyEndpoint endpoint, string user, string database)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var port = endpoint.Port.ToString(CultureInfo.InvariantCulture);
        var secret = endpoint.Secret;
        var lines = new List<string>();
        if (secret is not null)
        {
            lines.Add($"Password:          {secret}   (this run only; every client must give it)");
        }

        if (protocol == DatabaseProtocols.Postgres)
        {
            var db = database.Length > 0 ? database : user;
            if (endpoint.SocketPath is { } socket)
            {
                var dir = Path.GetDirectoryName(socket)!;
                lines.Add($"Connection string: host={DatabaseConnectionSettings.LibpqQuote(dir)} port={port} user={user} dbname={db}");
                lines.Add($"URI:               postgresql://{user}@/{db}?host={Uri.EscapeDataString(dir)}&port={port}");
                lines.Add($"psql:              psql \"host={dir} port={port} user={user} dbname={db}\"");
                return lines;
            }

            var password = secret is null ? "" : " password=" + secret;
            var uriPassword = secret is null ? "" : ":" + secret;
            lines.Add($"Connection string: host=127.0.0.1 port={port} user={user}{password} dbname={db} sslmode=disable");
            lines.Add($"URI:               postgresql://{user}{uriPassword}@127.0.0.1:{port}/{db}?sslmode=disable");
            lines.Add($"JDBC:              jdbc:postgresql://127.0.0.1:{port}/{db}?user={user}{(secret is null ? "" : "&password=" + secret)}&sslmode=disable");
            lines.Add($"psql:              {(secret is null ? "" : "PGPASSWORD=" + secret + " ")}psql \"host=127.0.0.1 port={port} user={user} dbname={db} sslmode=disable\"");
            return lines;
        }

        var schema = database.Length > 0 ? " " + database : "";
        if (endpoint.SocketPath is { } mysqlSocket)
        {
            lines.Add($"Connection string: Server={mysqlSocket};Protocol=Unix;User ID={user};{(database.Length > 0 ? "Database=" + database + ";" : "")}SslMode=None");
            lines.Add($"mysql:             mysql --socket={DatabaseConnectionSettings.ShellQuote(mysqlSocket)} --user={user} --skip-ssl{schema}");
            return lines;
        }

        lines.Add($"Connection string: Server=127.0.0.1;Port={port};User ID={user};{(secret is null ? "" : "Password=" + secret + ";")}{(database.Length > 0 ? "Database=" + database + ";" : "")}SslMode=None");
        lines.Add($"JDBC:              jdbc:mariadb://127.0.0.1:{port}/{database}?user={user}{(secret is null ? "" : "&password=" + secret)}");
        lines.Add($"mysql:             {(secret is null ? "" : "MYSQL_PWD=" + secret + " ")}mysql --host=127.0.0.1 --port={port} --user={user} --skip-ssl{schema}");
        return lines;
    }
}
