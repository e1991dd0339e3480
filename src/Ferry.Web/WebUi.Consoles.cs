using System.Globalization;
using System.Text;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Web.Consoles;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

public sealed partial class WebUi
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    private void MapConsoles(IEndpointRouteBuilder app)
    {
        app.MapPost("/web/api/consoles", Api(OpenConsoleAsync));
        app.MapPost("/web/api/consoles/{id}/query", Api(QueryAsync, maxBody: _options.MaxRequestBodyBytes));
        app.MapGet("/web/api/consoles/{id}/rows", Api(RowsAsync));
        app.MapPost("/web/api/consoles/{id}/cancel", Api(CancelAsync));
        app.MapGet("/web/api/consoles/{id}/schema", Api(SchemaAsync));
        app.MapPost("/web/api/consoles/{id}/export", Api(ExportAsync));
        app.MapDelete("/web/api/consoles/{id}", Api(CloseConsoleAsync));
    }

    /// <summary>
    /// Opens a real session through proxy, tunnel and agent with a certificate routed to the database, issued for this
    /// web session's key by the auth service's <c>/v1/certs/user</c> code (session MFA with <c>mfa_code</c>), so RBAC,
    /// locks, MFA and audit are those of psql and mysql. The agent's refusal comes back as 403 with its message.
    /// </summary>
    private async Task OpenConsoleAsync(HttpContext context, WebSession? s)
    {
        var session = s!;
        var request = await ReadAsync(context, WebJsonContext.Default.ConsoleOpenRequest).ConfigureAwait(false);
        var name = request.Database ?? "";
        if (name.Length is 0 or > 128)
        {
            throw WebApiException.BadRequest("database is missing: pick one of GET /web/api/databases");
        }

        if (session.ConsoleCount >= _options.MaxConsolesPerSession)
        {
            throw new WebApiException(409, "too_many_consoles", $"this web session has {_options.MaxConsolesPerSession} consoles open already: close one first");
        }

        var databases = await _authority.ListDatabasesAsync(session.Identity, context.RequestAborted).ConfigureAwait(false);
        var db = databases.FirstOrDefault(d => d.Entry.Name == name)?.Entry
            ?? throw WebApiException.NotFound($"database \"{Bounded(name)}\" is not one your roles can see");
        var dbUser = Pick(request.DbUser, db.DbUsers, "db_user");
        var dbName = Pick(request.DbName, db.DbNames, "db_name", optional: true);
        if ((request.MfaCode?.Length ?? 0) > 16)
        {
            throw WebApiException.BadRequest("mfa_code is longer than 16 characters");
        }

        var address = ClientAddress(context);
        var publicKey = session.WithKey(k => k.ExportPublicKeyPem());
        UserCertificateResponse issued;
        try
        {
            var certRequest = new UserCertificateRequest
            {
                PublicKeyPem = publicKey,
                Route = new RouteRequest { Service = db.Name, Protocol = db.Protocol, DbUser = dbUser, DbName = dbName },
                Otp = string.IsNullOrEmpty(request.MfaCode) ? null : request.MfaCode,
            };
            issued = request.Webauthn is { } proof
                ? await IssueRoutedWithKeyAsync(session, certRequest, proof, address, context.RequestAborted).ConfigureAwait(false)
                : await _authority.IssueRoutedAsync(session.Identity, certRequest, address, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WebApiException e)
        {
            ConsoleRefused(session, db.Protocol, name, dbUser, e.Message);
            throw;
        }

        var certificate = session.WithKey(k => TlsCertificates.FromPem(issued.CertificatePem, k.ExportPrivateKeyPem()));
        DatabaseConsole console;
        try
        {
            console = db.Protocol == "mysql"
                ? await MySqlConsole.OpenAsync(Proxy, certificate, name, dbUser, dbName, _options, context.RequestAborted).ConfigureAwait(false)
                : await PostgresConsole.OpenAsync(Proxy, certificate, name, dbUser, dbName, _options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WebApiException e)
        {
            certificate.Dispose();
            ConsoleRefused(session, db.Protocol, name, dbUser, e.Message);
            throw;
        }

        if (!session.TryAddConsole(console, _options.MaxConsolesPerSession))
        {
            FerryMetrics.WebConsole(console.Protocol, opened: true);
            console.Close("too many consoles");
            throw new WebApiException(409, "too_many_consoles", $"this web session has {_options.MaxConsolesPerSession} consoles open already: close one first");
        }

        FerryMetrics.WebConsole(console.Protocol, opened: true);
        WebLog.ConsoleOpened(_log, console.Id, session.User, name, dbUser);
        await WriteAsync(context, new ConsoleInfo { ConsoleId = console.Id, Database = name, DbUser = dbUser, DbName = dbName, Protocol = console.Protocol },
            WebJsonContext.Default.ConsoleInfo).ConfigureAwait(false);
    }

    private void ConsoleRefused(WebSession session, string protocol, string database, string dbUser, string reason)
    {
        FerryMetrics.WebConsole(protocol, opened: false);
        WebLog.ConsoleRefused(_log, session.User, database, dbUser, Bounded(reason));
    }

    /// <summary>The asked value, else the only concrete allowed one; <c>*</c> in the allowed list means any.</summary>
    private static string Pick(string? asked, List<string>? allowed, string field, bool optional = false)
    {
        if (!string.IsNullOrEmpty(asked))
        {
            return asked.Length <= 128 ? asked : throw WebApiException.BadRequest($"{field} is longer than 128 characters");
        }

        var concrete = (allowed ?? []).Where(v => v != "*" && !v.Contains('{', StringComparison.Ordinal)).ToList();
        return concrete.Count == 1 ? concrete[0]
            : optional ? ""
            : throw WebApiException.BadRequest($"{field} is missing: pick one of the allowed ones ({string.Join(", ", allowed ?? [])})");
    }

    private static DatabaseConsole FindConsole(HttpContext context, WebSession session) =>
        session.FindConsole(context.Request.RouteValues["id"] as string ?? "")
            ?? throw WebApiException.NotFound("no such console in this web session: it was closed or never opened");

    private async Task QueryAsync(HttpContext context, WebSession? session)
    {
        var console = FindConsole(context, session!);
        var request = await ReadAsync(context, WebJsonContext.Default.ConsoleQueryRequest).ConfigureAwait(false);
        var sql = request.Sql ?? "";
        if (sql.Trim().Length == 0)
        {
            throw WebApiException.BadRequest("sql is empty");
        }

        if (Encoding.UTF8.GetByteCount(sql) > _options.MaxStatementBytes || sql.Contains('\0', StringComparison.Ordinal))
        {
            throw WebApiException.BadRequest(sql.Contains('\0', StringComparison.Ordinal) ? "sql contains a NUL character"
                : string.Create(CultureInfo.InvariantCulture, $"sql is longer than {_options.MaxStatementBytes} bytes"));
        }

        var pageSize = Math.Clamp(request.PageSize ?? DefaultPageSize, 1, MaxPageSize);
        var result = await console.QueryAsync(sql).ConfigureAwait(false);
        await WriteAsync(context, ToJson(result, pageSize), WebJsonContext.Default.ConsoleQueryResult).ConfigureAwait(false);
    }

    internal ConsoleQueryResult ToJson(ConsoleResult result, int pageSize)
    {
        var notices = result.Notices.ToList();
        if (result.Truncated)
        {
            notices.Add(string.Create(CultureInfo.InvariantCulture,
                $"truncated: {result.RowCount} rows returned, the first {result.Rows.Count} kept (web console limits: {_options.MaxResultRows} rows, {_options.MaxResultBytes} bytes)"));
        }

        return new ConsoleQueryResult
        {
            Columns = result.Columns,
            Rows = [.. result.Rows.Take(pageSize).Select(r => r.ToList())],
            RowCount = result.RowCount,
            HasMore = result.Rows.Count > pageSize,
            Truncated = result.Truncated,
            Tag = result.Tag,
            DurationMs = Math.Round(result.Duration.TotalMilliseconds, 3),
            Notices = notices,
            Error = result.Error,
        };
    }

    private Task RowsAsync(HttpContext context, WebSession? session)
    {
        var console = FindConsole(context, session!);
        var last = console.LastResult ?? throw new WebApiException(404, "no_result", "this console has no result yet: run a query first");
        var offset = QueryInt(context, "offset", 0, 0, int.MaxValue);
        var limit = QueryInt(context, "limit", DefaultPageSize, 1, MaxPageSize);
        var rows = last.Rows.Skip(offset).Take(limit).Select(r => r.ToList()).ToList();
        return WriteAsync(context, new ConsoleRows { Rows = rows, Offset = offset, HasMore = (long)offset + rows.Count < last.Rows.Count }, WebJsonContext.Default.ConsoleRows);
    }

    private static int QueryInt(HttpContext context, string name, int fallback, int min, int max)
    {
        var values = context.Request.Query[name];
        if (values.Count == 0)
        {
            return fallback;
        }

        return values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw WebApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {min} to {max}"));
    }

    private async Task CancelAsync(HttpContext context, WebSession? session)
    {
        var console = FindConsole(context, session!);
        try
        {
            await console.CancelAsync(context.RequestAborted).ConfigureAwait(false);
            WebLog.ConsoleCancel(_log, console.Id, console.Database, "sent");
        }
        catch (WebApiException e)
        {
            WebLog.ConsoleCancel(_log, console.Id, console.Database, Bounded(e.Message));
            throw;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private Task CloseConsoleAsync(HttpContext context, WebSession? session)
    {
        var console = session!.RemoveConsole(context.Request.RouteValues["id"] as string ?? "")
            ?? throw WebApiException.NotFound("no such console in this web session");
        console.Close("closed by the user");
        WebLog.ConsoleClosed(_log, console.Id, console.Database, "closed by the user");
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private async Task ExportAsync(HttpContext context, WebSession? session)
    {
        var console = FindConsole(context, session!);
        var last = console.LastResult ?? throw new WebApiException(404, "no_result", "this console has no result yet: run a query first");
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{console.Database}.csv\"";
        var csv = new StringBuilder();
        AppendCsvLine(csv, last.Columns.Select(c => (string?)c.Name));
        foreach (var row in last.Rows)
        {
            AppendCsvLine(csv, row);
        }

        await context.Response.WriteAsync(csv.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; NULL is an empty field.</summary>
    internal static void AppendCsvLine(StringBuilder csv, IEnumerable<string?> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first)
            {
                csv.Append(',');
            }

            first = false;
            if (field is null)
            {
                continue;
            }

            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(field);
            }
        }

        csv.Append("\r\n");
    }
}
