namespace Ferry.Testing;

/// <summary>A confidential client of the test provider.</summary>
public sealed record OidcClient(string ClientId, string ClientSecret, string RedirectUri);
