namespace Ferry.Contracts;

/// <summary>The route put in a user certificate: <c>{"service","protocol","db_user","db_name"}</c>; protocol is <c>postgres</c> or <c>mysql</c>.</summary>
public sealed class RouteRequest
{
    public string Service { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string DbUser { get; set; } = "";

    public string DbName { get; set; } = "";
}
