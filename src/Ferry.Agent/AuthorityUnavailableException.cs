namespace Ferry.Agent;

/// <summary>The agent could not get what it needs from the auth service (roles, a db-client certificate) and has nothing fresh enough cached.</summary>
public sealed class AuthorityUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
