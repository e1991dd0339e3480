using System.IO.Pipelines;

namespace Ferry.Tunnel;

/// <summary>A pair of pipe ends presented as one duplex transport.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    /// <summary>Adapts a bidirectional stream (e.g. an authenticated <see cref="System.Net.Security.SslStream"/>); completing both ends disposes it.</summary>
    public static DuplexPipe FromStream(Stream stream) => new(
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true)),
        PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));
}
