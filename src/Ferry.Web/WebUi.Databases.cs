using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

public sealed partial class WebUi
{
    private void MapDatabases(IEndpointRouteBuilder app) =>
        app.MapGet("/web/api/databases", Api(DatabasesAsync));

    /// <summary>The databases of <c>ferry db ls</c> (same RBAC view), with health, allowed db users and names, and connect commands.</summary>
    private async Task DatabasesAsync(HttpContext context, WebSession? session)
    {
        var filter = ParseLabels(context.Request.Query["labels"].Count == 1 ? context.Request.Query["labels"][0] : null);
        var list = new List<WebDatabase>();
        foreach (var view in await _authority.ListDatabasesAsync(session!.Identity, context.RequestAborted).ConfigureAwait(false))
        {
            var db = view.Entry;
            if (filter.Any(f => !db.Labels.TryGetValue(f.Key, out var v) || v != f.Value))
            {
                continue;
            }

            var users = db.DbUsers ?? [];
            var names = db.DbNames ?? [];
            list.Add(new WebDatabase
            {
                Name = db.Name,
                Protocol = db.Protocol,
                Description = db.Description,
                Labels = db.Labels,
                Health = db.Agents is 0 ? "unhealthy" : !db.Healthy ? "unhealthy" : db.Agents is null ? "unknown" : "healthy",
                HealthError = db.Agents is 0 ? "no agent serving it is connected" : db.HealthError,
                DbUsers = users,
                DbNames = names,
                RequireSessionMfa = view.RequireSessionMfa,
                Connect = ConnectCommands(db.Name, db.Protocol, users.FirstOrDefault(u => u != "*"), names.FirstOrDefault(n => n != "*")),
            });
        }

        await WriteAsync(context, list.OrderBy(d => d.Name, StringComparer.Ordinal).ToList(), WebJsonContext.Default.ListWebDatabase).ConfigureAwait(false);
    }

    internal static Dictionary<string, string> ConnectCommands(string name, string protocol, string? dbUser, string? dbName)
    {
        var args = (dbUser is null ? "" : " --db-user " + dbUser) + (dbName is null ? "" : " --db-name " + dbName);
        var client = protocol == "mysql" ? "mysql" : "psql";
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ferry"] = $"ferry db connect {name}{args}",
            [client] = $"ferry db login {name}{args} && eval \"$(ferry db env {name})\" && {client}",
            ["jdbc"] = $"ferry db login {name}{args} && ferry db config {name} --format json   # jdbc_url",
        };
    }

    /// <summary><c>k=v,k2=v2</c>: every pair must match.</summary>
    internal static List<KeyValuePair<string, string>> ParseLabels(string? text)
    {
        var list = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return list;
        }

        if (text.Length > 1024)
        {
            throw WebApiException.BadRequest("labels filter is longer than 1024 characters");
        }

        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw WebApiException.BadRequest($"labels filter \"{Bounded(pair)}\" must be key=value");
            }

            list.Add(new(pair[..eq], pair[(eq + 1)..]));
        }

        return list;
    }
}
