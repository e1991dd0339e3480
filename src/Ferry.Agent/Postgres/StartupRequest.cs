namespace Ferry.Agent.Postgres;

/// <summary>A client's StartupMessage, parsed: its parameters in wire order and protocol minor version, or why it was refused.</summary>
internal sealed record StartupRequest(List<KeyValuePair<string, string>> Parameters, int Minor, string? Error);
