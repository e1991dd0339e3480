using Ferry.Contracts;

namespace Ferry.Contracts.Tests;

public sealed class StreamHeaderTests
{
    private static readonly StreamHeader Sample = new(StreamKind.Postgres, "127.0.0.1:5555", "pg1", [1, 2, 3, 4], [9, 8]);

    [Fact]
    public async Task Header_RoundTrips_AndLeavesTheRestOfTheStream()
    {
        var bytes = Sample.Encode().Concat("rest"u8.ToArray()).ToArray();
        using var ms = new MemoryStream(bytes);
        var read = await StreamHeader.ReadAsync(ms, CancellationToken.None);
        Assert.Equal(Sample.Kind, read.Kind);
        Assert.Equal(Sample.ClientAddress, read.ClientAddress);
        Assert.Equal(Sample.Service, read.Service);
        Assert.Equal(Sample.ClientCertificate, read.ClientCertificate);
        Assert.Equal(Sample.Extra, read.Extra);
        Assert.Equal("rest"u8.ToArray(), ms.ToArray()[(int)ms.Position..]);
    }

    [Fact]
    public async Task EveryTruncatedPrefix_IsRejected()
    {
        var bytes = Sample.Encode();
        for (var n = 0; n < bytes.Length; n++)
        {
            using var ms = new MemoryStream(bytes[..n]);
            await Assert.ThrowsAnyAsync<Exception>(() => StreamHeader.ReadAsync(ms, CancellationToken.None));
        }
    }

    [Fact]
    public async Task BadMagic_UnknownKind_AndOversizedLength_AreRejectedWithAReason()
    {
        var bytes = Sample.Encode();
        var badMagic = (byte[])bytes.Clone();
        badMagic[0] = (byte)'X';
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => StreamHeader.ReadAsync(new MemoryStream(badMagic), CancellationToken.None));
        Assert.Contains("does not start", ex.Message);

        var badKind = (byte[])bytes.Clone();
        badKind[4] = 0xEE;
        ex = await Assert.ThrowsAsync<InvalidDataException>(() => StreamHeader.ReadAsync(new MemoryStream(badKind), CancellationToken.None));
        Assert.Contains("unknown stream kind", ex.Message);

        var huge = (byte[])bytes.Clone();
        huge[5] = 0x7f;
        ex = await Assert.ThrowsAsync<InvalidDataException>(() => StreamHeader.ReadAsync(new MemoryStream(huge), CancellationToken.None));
        Assert.Contains("out of range", ex.Message);
    }
}
