using System.Globalization;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A real OIDC provider (<see cref="OidcProviderFixture"/>) and a cluster with one connector, <c>idp</c>, for it:
/// group <c>dba</c> maps to role <c>sso-dba</c>, whose db users come from the ID token's <c>db_users</c> claim
/// (<c>{{external.db_users}}</c>); PostgreSQL has the users alice_db and carol_db. The provider's client redirects to
/// the proxy's single port (<c>https://localhost:PROXY/v1/sso/callback</c>).
/// </summary>
public sealed class SsoClusterFixture : IAsyncLifetime
{
    public const string Connector = "idp";

    public const string ClientId = "ferry-e2e";

    public const string SsoRole = """
        kind: role
        name: sso-dba
        options: { max_session_ttl: 8h }
        allow:
          db_labels: { env: dev }
          db_names: [app]
          db_users: ["{{external.db_users}}"]
        """;

    public OidcProviderFixture Provider { get; private set; } = null!;

    public FerryCluster Cluster { get; private set; } = null!;

    public string ClientSecret { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    public async Task InitializeAsync()
    {
        Provider = await OidcProviderFixture.StartAsync();
        Cluster = await FerryCluster.StartAsync(authOptions: async cluster =>
        {
            foreach (var dbUser in new[] { "alice_db", "carol_db" })
            {
                await cluster.Postgres.CreateUserAsync(dbUser);
                await cluster.Postgres.PsqlAsync($"GRANT CONNECT ON DATABASE app TO {dbUser}");
            }

            var rolePath = Path.Combine(cluster.Root, "sso-dba.yaml");
            await File.WriteAllTextAsync(rolePath, SsoRole);
            await cluster.AdminAsync("roles", "apply", "-f", rolePath);

            var secretFile = Path.Combine(cluster.Root, "idp-client-secret");
            await File.WriteAllTextAsync(secretFile, ClientSecret + "\n");
            File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            // A host name, not an IP address: the web session lives on the callback's origin, and browsers refuse an IP
            // address as a WebAuthn relying party (an SSO user registers a security key there).
            var callback = $"https://localhost:{cluster.ProxyPort.ToString(CultureInfo.InvariantCulture)}/v1/sso/callback";
            await Provider.RegisterClientAsync(new OidcClient(ClientId, ClientSecret, callback));
            return ConnectorYaml(Provider.IssuerText, secretFile, callback);
        });
    }

    /// <summary>The <c>auth.sso</c> section for the test provider.</summary>
    public static string ConnectorYaml(string issuer, string secretFile, string callback) => $"""
        sso:
          - name: {Connector}
            display_name: Test IdP
            issuer_url: {issuer}
            client_id: {ClientId}
            client_secret_file: {secretFile}
            redirect_url: {callback}
            scopes: [openid, email, profile, groups]
            claims_to_roles:
              - {"{"} claim: groups, value: dba, roles: [sso-dba] {"}"}
        """;

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        Provider?.Dispose();
    }
}
