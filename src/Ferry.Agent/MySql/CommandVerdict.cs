namespace Ferry.Agent.MySql;

/// <summary>What the session decided about one client command.</summary>
internal readonly record struct CommandVerdict(CommandAction Action, byte[]? Packet = null, string? Error = null)
{
    /// <summary>What the response side gets back with the command's response steps (a query's text, to audit its failure).</summary>
    public object? Tag { get; init; }

    /// <summary>Forward (or replace), then forward nothing more until the server's answer to it has been checked.</summary>
    public bool Hold { get; init; }

    /// <summary>A COM_QUERY sent between two agent-owned COM_SET_OPTIONs that turn multi-statements off and back on (three answers).</summary>
    public bool SingleStatement { get; init; }

    public static CommandVerdict Forward => new(CommandAction.Forward);

    /// <summary>Send <paramref name="packet"/> (a whole framed packet) to the server instead.</summary>
    public static CommandVerdict Replace(byte[] packet) => new(CommandAction.Replace, packet);

    /// <summary>Do not forward; answer the client with <paramref name="errPacket"/> (framed, sequence id 1).</summary>
    public static CommandVerdict Refuse(byte[] errPacket) => new(CommandAction.Refuse, errPacket);

    /// <summary>The packet is malformed: answer with <paramref name="errPacket"/> and end the session.</summary>
    public static CommandVerdict Close(byte[] errPacket, string error) => new(CommandAction.Close, errPacket, error);
}

internal enum CommandAction
{
    Forward,
    Replace,
    Refuse,
    Close,
}
