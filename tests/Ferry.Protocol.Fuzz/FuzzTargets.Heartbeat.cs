using System.IO.Pipelines;
using System.Text.Json;
using Ferry.Contracts;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// An agent's heartbeat stream as the proxy reads it (<c>TunnelAcceptor.ReadHeartbeatAsync</c>): JSON lines from a
/// host that holds a valid certificate but may be broken or hostile. A refusal is <see cref="JsonException"/> or
/// <see cref="InvalidDataException"/>; a heartbeat that comes back has no null where the registry takes a value.
/// </summary>
internal static partial class FuzzTargets
{
    private static void Heartbeat(byte[] data)
    {
        var reader = PipeReader.Create(new MemoryStream(data), new StreamPipeReaderOptions(bufferSize: 64));
        try
        {
            while (Ferry.Proxy.TunnelAcceptor.ReadHeartbeatAsync(reader, CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } hb)
            {
                Check(hb);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
        }
    }

    private static void Check(AgentHeartbeat hb)
    {
        if (hb.AgentId is null || hb.Version is null || hb.Databases is null)
        {
            throw new InvalidOperationException("a heartbeat with a null agent_id, version or databases was taken");
        }

        foreach (var db in hb.Databases)
        {
            if (db is null || db.Name is null || db.Protocol is null || db.Description is null || db.Labels is null)
            {
                throw new InvalidOperationException("a database entry with a null was taken");
            }

            foreach (var (key, value) in db.Labels)
            {
                _ = key.Length + value.Length;
            }

            foreach (var s in (db.DbUsers ?? []).Concat(db.DbNames ?? []))
            {
                _ = s.Length;
            }
        }
    }
}
