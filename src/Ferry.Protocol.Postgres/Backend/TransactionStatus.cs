namespace Ferry.Protocol.Postgres.Backend;

/// <summary>Transaction status byte of ReadyForQuery.</summary>
public enum TransactionStatus : byte
{
    Idle = (byte)'I',
    InTransaction = (byte)'T',
    Failed = (byte)'E',
}
