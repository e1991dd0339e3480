namespace Ferry.Client.Api;

/// <summary>The route put in a certificate: <c>{"service","protocol","db_user","db_name"}</c>.</summary>
internal sealed class RouteBody
{
    public string Service { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string DbUser { get; set; } = "";

    public string DbName { get; set; } = "";
}
