namespace Ferry.Auth;

/// <summary>Key layout in the backend.</summary>
internal static class BackendKeys
{
    public const string Users = "/users/";
    public const string Totp = "/totp/";
    public const string Roles = "/roles/";
    public const string Tokens = "/tokens/";
    public const string Locks = "/locks/";
    public const string Hosts = "/hosts/";
    public const string DatabaseBindings = "/db-bindings/";
    public const string SsoConnectors = "/sso/connectors/";

    public static string User(string name) => Users + name;

    public static string TotpUse(string name) => Totp + name;

    public static string Role(string name) => Roles + name;

    public static string Token(string id) => Tokens + id;

    public static string Lock(string id) => Locks + id;

    public static string Host(string id) => Hosts + id;

    public static string DatabaseBinding(string name) => DatabaseBindings + name;

    public static string SsoConnector(string name) => SsoConnectors + name;
}
