using System.Buffers.Binary;
using ZstdSharp;

namespace Ferry.Audit.Tests;

/// <summary>What an operator with disk access could do: decompress a sealed segment, change records, recompress.</summary>
internal static class SegmentSurgery
{
    public static void Rewrite(string dir, long segment, Func<List<byte[]>, List<byte[]>> change)
    {
        string path = Path.Combine(dir, $"seg-{segment:D10}.zst");
        byte[] raw;
        using (var d = new Decompressor())
        {
            raw = d.Unwrap(File.ReadAllBytes(path)).ToArray();
        }

        List<byte[]> records = Split(raw);
        List<byte[]> changed = change(records);
        using var ms = new MemoryStream();
        ms.Write(raw.AsSpan(0, 8));
        foreach (byte[] r in changed)
        {
            ms.Write(r);
        }

        using var c = new Compressor(3);
        File.WriteAllBytes(path, c.Wrap(ms.ToArray()).ToArray());
    }

    public static List<byte[]> Split(byte[] raw)
    {
        var list = new List<byte[]>();
        int offset = 8;
        while (offset < raw.Length)
        {
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(offset));
            list.Add(raw.AsSpan(offset, 8 + len).ToArray());
            offset += 8 + len;
        }

        return list;
    }

    /// <summary>Replaces the first occurrence of <paramref name="from"/> with <paramref name="to"/> (same length) in the record's JSON.</summary>
    public static byte[] Edit(byte[] record, string from, string to, bool fixCrc)
    {
        byte[] copy = (byte[])record.Clone();
        byte[] f = System.Text.Encoding.UTF8.GetBytes(from);
        int at = copy.AsSpan(8 + 32).IndexOf(f) + 8 + 32;
        Assert.True(at >= 40, "text to edit not found");
        System.Text.Encoding.UTF8.GetBytes(to).CopyTo(copy, at);
        if (fixCrc)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(4), Crc32C.Compute(copy.AsSpan(8)));
        }

        return copy;
    }

    public static string IdOf(byte[] record)
    {
        AuditEvent e = System.Text.Json.JsonSerializer.Deserialize(record.AsSpan(8 + 32), AuditJsonContext.Default.AuditEvent)!;
        return e.Id;
    }
}
