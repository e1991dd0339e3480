using Ferry.Web.Consoles;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Http;

namespace Ferry.Web;

public sealed partial class WebUi
{
    private const int MaxSchemaObjects = 5000;

    /// <summary>
    /// The schema browser (<c>\dt</c>, <c>\d name</c>, <c>\l</c>): catalog queries run through the console's own session,
    /// so they are authorised and audited like any statement; the last result is left as it was.
    /// </summary>
    private async Task SchemaAsync(HttpContext context, WebSession? session)
    {
        var console = FindConsole(context, session!);
        var mysql = console.Protocol == "mysql";
        var q = context.Request.Query;
        if (q["databases"].Count == 1 && q["databases"][0] == "1")
        {
            var dbs = await RunCatalogAsync(console, mysql
                ? "SHOW DATABASES"
                : "SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate ORDER BY 1").ConfigureAwait(false);
            await WriteAsync(context, new SchemaDatabases { Databases = [.. dbs.Rows.Select(r => r[0] ?? "")] }, WebJsonContext.Default.SchemaDatabases).ConfigureAwait(false);
            return;
        }

        if (q["object"].Count == 1)
        {
            var (schema, name) = SplitObject(q["object"][0] ?? "");
            var sql = mysql
                ? $"SELECT column_name, column_type, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = {Literal(schema ?? "", mysql)}{(schema is null ? "" : "")} AND table_name = {Literal(name, mysql)} ORDER BY ordinal_position"
                : $"SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {Literal(schema ?? "public", mysql)} AND c.relname = {Literal(name, mysql)} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
            if (mysql && schema is null)
            {
                sql = sql.Replace("table_schema = ''", "table_schema = DATABASE()", StringComparison.Ordinal);
            }

            var cols = await RunCatalogAsync(console, sql).ConfigureAwait(false);
            await WriteAsync(context, new SchemaColumns
            {
                Columns = [.. cols.Rows.Select(r => new SchemaColumn { Name = r[0] ?? "", Type = r[1] ?? "", Nullable = r[2] is "1" or "t" or "true" })],
            }, WebJsonContext.Default.SchemaColumns).ConfigureAwait(false);
            return;
        }

        var objects = await RunCatalogAsync(console, mysql
            ? $"SELECT table_schema, table_name, CASE table_type WHEN 'VIEW' THEN 'view' WHEN 'SYSTEM VIEW' THEN 'view' ELSE 'table' END FROM information_schema.tables WHERE table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1, 2 LIMIT {MaxSchemaObjects}"
            : $"SELECT n.nspname, c.relname, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' WHEN 'f' THEN 'foreign_table' ELSE 'sequence' END FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2 LIMIT {MaxSchemaObjects}").ConfigureAwait(false);
        await WriteAsync(context, new SchemaObjects
        {
            Objects = [.. objects.Rows.Select(r => new SchemaObject { Schema = r[0] ?? "", Name = r[1] ?? "", Kind = r[2] ?? "" })],
        }, WebJsonContext.Default.SchemaObjects).ConfigureAwait(false);
    }

    private static async Task<ConsoleResult> RunCatalogAsync(DatabaseConsole console, string sql)
    {
        var result = await console.QueryAsync(sql, keep: false).ConfigureAwait(false);
        if (result.Error is { } e)
        {
            throw new WebApiException(400, "database_error", $"the schema query failed: {e.Code} {e.Message}");
        }

        return result;
    }

    /// <summary><c>schema.name</c> or <c>name</c>; names are bounded and may not hold control characters.</summary>
    internal static (string? Schema, string Name) SplitObject(string text)
    {
        if (text.Length is 0 or > 256 || text.Any(char.IsControl))
        {
            throw WebApiException.BadRequest("object must be schema.name or name (at most 256 characters)");
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? (text[..dot], text[(dot + 1)..]) : (null, text);
    }

    /// <summary>A string literal: quotes doubled, and for MySQL backslashes doubled too (safe with or without NO_BACKSLASH_ESCAPES).</summary>
    internal static string Literal(string value, bool mysql) =>
        "'" + (mysql ? value.Replace("\\", "\\\\", StringComparison.Ordinal) : value).Replace("'", "''", StringComparison.Ordinal) + "'";
}
