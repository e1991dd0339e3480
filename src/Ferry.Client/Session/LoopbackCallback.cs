namespace Ferry.Client;

/// <summary>What the browser brought back: the request id, and the cluster's <c>status</c>/<c>error</c> (informational only).</summary>
internal sealed record LoopbackCallback(string RequestId, string Status, string Error);
