using System.Buffers;
using System.Text;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>The kind of one entry of an OK packet's session state information (CLIENT_SESSION_TRACK).</summary>
public enum SessionTrackType : byte
{
    SystemVariables = 0,
    Schema = 1,
    StateChange = 2,
    Gtids = 3,
    TransactionCharacteristics = 4,
    TransactionState = 5,
}

/// <summary>
/// What an OK packet's session state information says changed: the new default schema (SESSION_TRACK_SCHEMA)
/// and the system variables that changed (SESSION_TRACK_SYSTEM_VARIABLES). Other entries are skipped.
/// <code>
///  repeated: +----------+---------------------+--------------------------------------------------+
///            | type u8  | data length lenenc  | data: SCHEMA = lenenc name;                      |
///            |          |                     |       SYSTEM_VARIABLES = lenenc name lenenc value |
///            +----------+---------------------+--------------------------------------------------+
/// </code>
/// </summary>
public sealed class SessionState
{
    /// <summary>Most entries read from one OK packet (an OK packet the agent reads whole is small; this bounds the work).</summary>
    public const int MaxEntries = 256;

    private SessionState(string? schema, IReadOnlyList<KeyValuePair<string, string>> variables)
    {
        Schema = schema;
        Variables = variables;
    }

    /// <summary>The schema the session is in now (the last SCHEMA entry; "" when none is selected), or null when it did not change.</summary>
    public string? Schema { get; }

    /// <summary>System variables that changed, in order, with their new values.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Variables { get; }

    /// <summary>Reads the session state information of an OK packet (<see cref="OkPacket.SessionStateChanges"/>).</summary>
    public static SessionState Read(ReadOnlySequence<byte> changes)
    {
        var r = new MySqlPayloadReader(changes, "session state information");
        string? schema = null;
        List<KeyValuePair<string, string>>? variables = null;
        for (var entries = 0; !r.End; entries++)
        {
            if (entries == MaxEntries)
            {
                MySqlThrow.Malformed($"session state information with more than {MaxEntries} entries");
            }

            var type = (SessionTrackType)r.ReadByte();
            var data = new MySqlPayloadReader(r.ReadLengthEncodedString(), "session state entry");
            switch (type)
            {
                case SessionTrackType.Schema:
                    schema = Encoding.UTF8.GetString(data.ReadLengthEncodedString());
                    data.ExpectEnd();
                    break;
                case SessionTrackType.SystemVariables:
                    var name = Encoding.UTF8.GetString(data.ReadLengthEncodedString());
                    var value = Encoding.UTF8.GetString(data.ReadLengthEncodedString());
                    data.ExpectEnd();
                    (variables ??= []).Add(new(name, value));
                    break;
            }
        }

        return new SessionState(schema, variables ?? (IReadOnlyList<KeyValuePair<string, string>>)[]);
    }
}
