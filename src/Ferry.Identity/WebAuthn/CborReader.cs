using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ferry.Identity.WebAuthn;

/// <summary>
/// A bounded reader for the CBOR of WebAuthn (attestation objects, COSE keys, extensions): definite lengths only,
/// major types 0–5 and the simple values false/true/null; nesting at most <see cref="MaxDepth"/>, at most
/// <see cref="MaxItems"/> items per array or map, every declared length checked against the bytes left before
/// anything is allocated. Anything else is a <see cref="WebAuthnException"/>.
/// </summary>
public static class CborReader
{
    public const int MaxDepth = 8;

    public const int MaxItems = 64;

    /// <summary>Decodes exactly one item that fills <paramref name="data"/>.</summary>
    public static CborValue ReadSingle(ReadOnlySpan<byte> data)
    {
        var value = Read(data, out var consumed);
        if (consumed != data.Length)
        {
            Fail($"{data.Length - consumed} bytes follow the CBOR item");
        }

        return value;
    }

    /// <summary>Decodes the first item of <paramref name="data"/>; <paramref name="consumed"/> says how many bytes it took.</summary>
    public static CborValue Read(ReadOnlySpan<byte> data, out int consumed)
    {
        var offset = 0;
        var value = ReadItem(data, ref offset, 0);
        consumed = offset;
        return value;
    }

    private static CborValue ReadItem(ReadOnlySpan<byte> data, ref int offset, int depth)
    {
        if (depth > MaxDepth)
        {
            Fail($"CBOR nested deeper than {MaxDepth}");
        }

        if (offset >= data.Length)
        {
            Fail("CBOR item truncated");
        }

        var initial = data[offset++];
        var major = initial >> 5;
        var info = initial & 0x1f;
        if (major == 7)
        {
            return info switch
            {
                20 => new CborValue { Kind = CborKind.Boolean, Boolean = false },
                21 => new CborValue { Kind = CborKind.Boolean, Boolean = true },
                22 => new CborValue { Kind = CborKind.Null },
                _ => Fail<CborValue>($"CBOR simple value or float {info} is not used by WebAuthn"),
            };
        }

        var argument = ReadArgument(data, ref offset, info);
        switch (major)
        {
            case 0:
                return argument <= long.MaxValue ? new CborValue { Kind = CborKind.Integer, Integer = (long)argument } : Fail<CborValue>("CBOR integer out of range");
            case 1:
                return argument <= long.MaxValue ? new CborValue { Kind = CborKind.Integer, Integer = -1 - (long)argument } : Fail<CborValue>("CBOR integer out of range");
            case 2:
            case 3:
            {
                if (argument > (ulong)(data.Length - offset))
                {
                    Fail($"CBOR string of {argument} bytes, {data.Length - offset} left");
                }

                var bytes = data.Slice(offset, (int)argument);
                offset += (int)argument;
                if (major == 2)
                {
                    return new CborValue { Kind = CborKind.Bytes, Bytes = bytes.ToArray() };
                }

                try
                {
                    return new CborValue { Kind = CborKind.Text, Text = new UTF8Encoding(false, true).GetString(bytes) };
                }
                catch (DecoderFallbackException)
                {
                    return Fail<CborValue>("CBOR text is not UTF-8");
                }
            }

            case 4:
            {
                CheckCount(argument, data.Length - offset);
                var items = new List<CborValue>((int)argument);
                for (var i = 0; i < (int)argument; i++)
                {
                    items.Add(ReadItem(data, ref offset, depth + 1));
                }

                return new CborValue { Kind = CborKind.Array, Items = items };
            }

            case 5:
            {
                CheckCount(argument, (data.Length - offset) / 2);
                var entries = new List<KeyValuePair<CborValue, CborValue>>((int)argument);
                for (var i = 0; i < (int)argument; i++)
                {
                    var key = ReadItem(data, ref offset, depth + 1);
                    if (key.Kind is not (CborKind.Integer or CborKind.Text))
                    {
                        Fail("CBOR map key is neither an integer nor text");
                    }

                    if (entries.Any(e => e.Key.Kind == key.Kind && e.Key.Integer == key.Integer && e.Key.Text == key.Text))
                    {
                        Fail("CBOR map has a duplicate key");
                    }

                    entries.Add(new(key, ReadItem(data, ref offset, depth + 1)));
                }

                return new CborValue { Kind = CborKind.Map, Entries = entries };
            }

            default:
                return Fail<CborValue>("CBOR tags are not used by WebAuthn");
        }
    }

    private static void CheckCount(ulong count, int left)
    {
        if (count > MaxItems)
        {
            Fail($"CBOR array or map of {count} items (at most {MaxItems})");
        }

        if (count > (ulong)Math.Max(0, left))
        {
            Fail($"CBOR array or map of {count} items, only {left} bytes left");
        }
    }

    private static ulong ReadArgument(ReadOnlySpan<byte> data, ref int offset, int info)
    {
        if (info < 24)
        {
            return (ulong)info;
        }

        var size = info switch { 24 => 1, 25 => 2, 26 => 4, 27 => 8, _ => 0 };
        if (size == 0)
        {
            Fail(info == 31 ? "CBOR indefinite lengths are not used by WebAuthn" : $"CBOR additional information {info} is reserved");
        }

        if (data.Length - offset < size)
        {
            Fail("CBOR length truncated");
        }

        var bytes = data.Slice(offset, size);
        offset += size;
        return size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        };
    }

    [DoesNotReturn]
    private static void Fail(string message) => throw new WebAuthnException("malformed", message);

    [DoesNotReturn]
    private static T Fail<T>(string message) => throw new WebAuthnException("malformed", message);
}
