namespace Ferry.Identity.WebAuthn;

/// <summary>The CBOR major types and simple values WebAuthn uses (RFC 8949).</summary>
public enum CborKind
{
    Integer,
    Bytes,
    Text,
    Array,
    Map,
    Boolean,
    Null,
}

/// <summary>One decoded CBOR item: an integer, a byte or text string, an array, a map (keys in order), a boolean or null.</summary>
public sealed class CborValue
{
    public required CborKind Kind { get; init; }

    public long Integer { get; init; }

    public byte[] Bytes { get; init; } = [];

    public string Text { get; init; } = "";

    public bool Boolean { get; init; }

    public IReadOnlyList<CborValue> Items { get; init; } = [];

    public IReadOnlyList<KeyValuePair<CborValue, CborValue>> Entries { get; init; } = [];

    /// <summary>The value of a map entry whose key is the integer <paramref name="key"/>, or null.</summary>
    public CborValue? this[long key] => Entries.FirstOrDefault(e => e.Key.Kind == CborKind.Integer && e.Key.Integer == key).Value;

    /// <summary>The value of a map entry whose key is the text <paramref name="key"/>, or null.</summary>
    public CborValue? this[string key] => Entries.FirstOrDefault(e => e.Key.Kind == CborKind.Text && e.Key.Text == key).Value;
}
