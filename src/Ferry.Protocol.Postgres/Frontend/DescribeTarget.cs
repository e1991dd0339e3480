namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>What a Describe or Close names.</summary>
public enum DescribeTarget : byte
{
    Statement = (byte)'S',
    Portal = (byte)'P',
}
