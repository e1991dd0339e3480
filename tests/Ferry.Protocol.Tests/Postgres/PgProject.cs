using System.Buffers;
using System.Text;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Postgres;

/// <summary>Decodes every PostgreSQL message with the typed readers into a readable, comparable string.</summary>
internal static class PgProject
{
    public static ProjectingReader FrontendReader(int limit = PostgresLimits.DefaultMaxMessageLength, char password = 'p') =>
        (ref SequenceReader<byte> r, out string p) =>
        {
            OperationStatus status = PostgresFrameReader.TryRead(ref r, limit, out PostgresFrame frame);
            p = status == OperationStatus.Done ? Frontend(frame, password) : "";
            return status;
        };

    public static ProjectingReader BackendReader(int limit = PostgresLimits.DefaultMaxMessageLength) =>
        (ref SequenceReader<byte> r, out string p) =>
        {
            OperationStatus status = PostgresFrameReader.TryRead(ref r, limit, out PostgresFrame frame);
            p = status == OperationStatus.Done ? Backend(frame) : "";
            return status;
        };

    public static ProjectingReader StartupReader() =>
        (ref SequenceReader<byte> r, out string p) =>
        {
            OperationStatus status = StartupPacketReader.TryRead(ref r, out StartupPacket packet);
            p = status == OperationStatus.Done ? Startup(packet) : "";
            return status;
        };

    public static string Startup(in StartupPacket packet)
    {
        switch (packet.Kind)
        {
            case StartupPacketKind.StartupMessage:
                StartupMessage m = StartupMessage.Read(packet);
                var sb = new StringBuilder($"Startup {m.MajorVersion}.{m.MinorVersion} user={S(m.User)} db={(m.HasDatabase ? S(m.Database) : "-")} app={S(m.ApplicationName)} options={S(m.Options)} pq={m.ProtocolOptionCount}");
                foreach (StartupParameter parameter in m.Parameters)
                {
                    sb.Append($" [{S(parameter.Name)}={S(parameter.Value)}{(parameter.IsProtocolOption ? "*" : "")}]");
                }

                return sb.ToString();
            case StartupPacketKind.CancelRequest:
                CancelRequest c = CancelRequest.Read(packet);
                return $"Cancel pid={c.ProcessId} key={Text.HexOf(c.SecretKey)}";
            default:
                return packet.Kind.ToString();
        }
    }

    public static string Frontend(in PostgresFrame frame, char password = 'p')
    {
        switch ((FrontendMessageCode)frame.Code)
        {
            case FrontendMessageCode.Query:
                return $"Query {S(Query.Read(frame).Text)}";
            case FrontendMessageCode.Parse:
                Parse parse = Parse.Read(frame);
                var types = Enumerable.Range(0, parse.ParameterTypeCount).Select(i => parse.GetParameterType(i).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return $"Parse name={S(parse.StatementName)} query={S(parse.QueryText)} types=[{string.Join(',', types)}]";
            case FrontendMessageCode.Bind:
                Bind bind = Bind.Read(frame);
                var sb = new StringBuilder($"Bind portal={S(bind.Portal)} stmt={S(bind.Statement)} nf={bind.ParameterFormatCount} np={bind.ParameterCount}");
                foreach (ParameterValue value in bind.Parameters)
                {
                    sb.Append($" [{value.Index}:{value.FormatCode}:{(value.IsNull ? "NULL" : Text.HexOf(value.Value))}]");
                }

                sb.Append(" results=").Append(string.Join(',', Enumerable.Range(0, bind.ResultFormatCount).Select(bind.GetResultFormat)));
                return sb.ToString();
            case FrontendMessageCode.Describe or FrontendMessageCode.Close:
                Describe d = Describe.Read(frame);
                return $"{(char)frame.Code} {(char)d.Target} {S(d.Name)}";
            case FrontendMessageCode.Execute:
                Execute e = Execute.Read(frame);
                return $"Execute portal={S(e.Portal)} max={e.MaxRows}";
            case FrontendMessageCode.FunctionCall:
                FunctionCall f = FunctionCall.Read(frame);
                var fb = new StringBuilder($"FunctionCall oid={f.FunctionOid} nf={f.ArgumentFormatCount} result={f.ResultFormat}");
                foreach (ParameterValue value in f.Arguments)
                {
                    fb.Append($" [{value.Index}:{value.FormatCode}:{(value.IsNull ? "NULL" : Text.HexOf(value.Value))}]");
                }

                return fb.ToString();
            case FrontendMessageCode.CopyData:
                return $"CopyData {Text.HexOf(CopyData.Read(frame))}";
            case FrontendMessageCode.CopyFail:
                return $"CopyFail {S(CopyFail.Read(frame))}";
            case FrontendMessageCode.Sync or FrontendMessageCode.Flush or FrontendMessageCode.Terminate or FrontendMessageCode.CopyDone:
                EmptyMessage.Read(frame);
                return $"{(char)frame.Code}";
            case FrontendMessageCode.PasswordMessage when password == 'p':
                return $"Password {S(PasswordMessage.Read(frame))}";
            case FrontendMessageCode.PasswordMessage when password == 'i':
                SaslInitialResponse si = SaslInitialResponse.Read(frame);
                return $"SaslInitial {S(si.Mechanism)} {(si.HasData ? S(si.Data) : "none")}";
            case FrontendMessageCode.PasswordMessage:
                return $"SaslResponse {S(SaslResponse.Read(frame))}";
            default:
                throw new InvalidOperationException($"unknown frontend message {(char)frame.Code}");
        }
    }

    public static string Backend(in PostgresFrame frame)
    {
        switch ((BackendMessageCode)frame.Code)
        {
            case BackendMessageCode.Authentication:
                Authentication a = Authentication.Read(frame);
                return $"Auth {a.Code} {Text.HexOf(a.Data)}";
            case BackendMessageCode.BackendKeyData:
                BackendKeyData k = BackendKeyData.Read(frame);
                return $"Key pid={k.ProcessId} key={Text.HexOf(k.SecretKey)}";
            case BackendMessageCode.ParameterStatus:
                ParameterStatus ps = ParameterStatus.Read(frame);
                return $"Param {S(ps.Name)}={S(ps.Value)}";
            case BackendMessageCode.ReadyForQuery:
                return $"Ready {ReadyForQuery.Read(frame)}";
            case BackendMessageCode.ErrorResponse or BackendMessageCode.NoticeResponse:
                ErrorResponse er = ErrorResponse.Read(frame);
                var sb = new StringBuilder($"{(er.IsNotice ? "Notice" : "Error")} {S(er.Severity)} {S(er.SqlState)} {S(er.Message)} detail={S(er.Detail)} hint={S(er.Hint)}");
                foreach (ErrorFieldValue field in er.Fields)
                {
                    sb.Append($" {(char)field.Field}");
                }

                return sb.ToString();
            case BackendMessageCode.CommandComplete:
                return $"Complete {S(CommandComplete.Read(frame))}";
            case BackendMessageCode.DataRow:
                DataRow row = DataRow.Read(frame);
                var rb = new StringBuilder($"Row {row.ColumnCount}");
                foreach (ParameterValue value in row.Columns)
                {
                    rb.Append($" {(value.IsNull ? "NULL" : Text.HexOf(value.Value))}");
                }

                return rb.ToString();
            case BackendMessageCode.RowDescription:
                return $"RowDescription {RowDescription.Read(frame)}";
            case BackendMessageCode.CopyInResponse or BackendMessageCode.CopyOutResponse or BackendMessageCode.CopyBothResponse:
                CopyResponse cr = CopyResponse.Read(frame);
                return $"Copy {cr.Kind} {cr.Format} {cr.ColumnCount}";
            case BackendMessageCode.NotificationResponse:
                NotificationResponse n = NotificationResponse.Read(frame);
                return $"Notify {n.ProcessId} {S(n.Channel)} {S(n.Payload)}";
            case BackendMessageCode.NegotiateProtocolVersion:
                NegotiateProtocolVersion v = NegotiateProtocolVersion.Read(frame);
                return $"Negotiate {v.NewestMinorVersion} {v.UnrecognizedOptionCount} {S(v.UnrecognizedOptions).Replace('\0', '|')}";
            case BackendMessageCode.ParameterDescription:
                return $"ParameterDescription {ParameterDescription.Read(frame)}";
            case BackendMessageCode.CopyData:
                return $"CopyData {frame.PayloadLength}";
            case BackendMessageCode.FunctionCallResponse:
                return $"FunctionCallResponse {frame.PayloadLength}";
            case BackendMessageCode.BindComplete or BackendMessageCode.CloseComplete or BackendMessageCode.ParseComplete
                or BackendMessageCode.NoData or BackendMessageCode.EmptyQueryResponse or BackendMessageCode.PortalSuspended
                or BackendMessageCode.CopyDone:
                EmptyMessage.Read(frame);
                return $"{(char)frame.Code}";
            default:
                throw new InvalidOperationException($"unknown backend message {(char)frame.Code}");
        }
    }

    private static string S(in ReadOnlySequence<byte> value) => Text.Of(value);
}
