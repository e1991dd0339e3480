using System.Buffers;
using System.Text;

namespace Ferry.Protocol.Tests.Support;

internal static class Text
{
    public static string Of(in ReadOnlySequence<byte> value) => Encoding.UTF8.GetString(value);

    public static string HexOf(in ReadOnlySequence<byte> value) => Convert.ToHexString(value.ToArray());

    public static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);

    public static byte[] Write(Action<ArrayBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return writer.WrittenSpan.ToArray();
    }
}
