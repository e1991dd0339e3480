namespace Ferry.Audit;

/// <summary>Receives one store record: its chain hash and the event's canonical JSON.</summary>
internal delegate void RecordCallback(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> json);
