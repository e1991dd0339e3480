// The probe behind the OpenSSL per-connection figures in ../2026-12-05-openssl-tunnels.md, kept as it was run:
// a console project (net10.0, ProjectReference to src/Ferry.Identity) with this Program.cs;
// `dotnet memprobe.dll pair 1000` (client+server in one process), `nocert 1000` (no client certificate),
// `pg 1000` (clients to a PostgreSQL 15 on 127.0.0.1:55432 with ssl=on and an EC P-256 certificate in /tmp/pgp).

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity.Tls.OpenSsl;

static long InUse() { var m = Native.mallinfo2(); return (long)m.uordblks + (long)m.hblkhd; }
static long Rss() => long.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
static X509Certificate2 SelfSigned(string subject, string? dns, string usage)
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
    if (dns != null) { var san = new SubjectAlternativeNameBuilder(); san.AddDnsName(dns); req.CertificateExtensions.Add(san.Build()); }
    req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
    using var c = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    return X509CertificateLoader.LoadPkcs12(c.Export(X509ContentType.Pkcs12), null);
}
var pgRoot = X509CertificateLoader.LoadCertificateFromFile("/tmp/pgp/data/server.crt");
var mode = args.Length > 0 ? args[0] : "pair";
int n = args.Length > 1 ? int.Parse(args[1]) : 1000;
var serverCert = SelfSigned("CN=server.test", "server.test", "1.3.6.1.5.5.7.3.1");
var clientCert = SelfSigned("CN=app", null, "1.3.6.1.5.5.7.3.2");
var sctx = OpenSslContext.ForServer(SslStreamCertificateContext.Create(serverCert, null, offline: true));
var cctx = mode == "nocert" ? OpenSslContext.Create(null) : OpenSslContext.ForClient(clientCert);
var listener = new TcpListener(IPAddress.Loopback, 0); listener.Start();
var port = ((IPEndPoint)listener.LocalEndpoint).Port;
var keep = new List<object>();
async Task<(object, object)> OnePg()
{
    var tcp = new TcpClient { NoDelay = true }; await tcp.ConnectAsync(IPAddress.Loopback, 55432);
    var ns = tcp.GetStream();
    await ns.WriteAsync(new byte[] { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f });
    var one = new byte[1]; await ns.ReadExactlyAsync(one);
    if (one[0] != (byte)'S') throw new Exception("no ssl");
    var client = await OpenSslStream.ConnectAsync(ns, cctx, "localhost", (leaf, sent) =>
    {
        if (Environment.GetEnvironmentVariable("CHAIN") is not { } how) return null;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pgRoot);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        chain.Build(leaf!);
        if (how == "dispose") foreach (var e in chain.ChainElements) e.Certificate.Dispose();
        return null;
    }, default);
    _ = client.ReadAsync(Memory<byte>.Empty).AsTask();
    return (client, tcp);
}
async Task<(object, object)> OnePair()
{
    if (mode == "pg") return await OnePg();
    var acc = listener.AcceptSocketAsync();
    var tcp = new TcpClient(); await tcp.ConnectAsync(IPAddress.Loopback, port);
    var s = await acc;
    var serverTask = mode == "dotnet" ? Task.Run<object>(async () => { var ssl = new SslStream(new NetworkStream(s, true)); await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = serverCert, ClientCertificateRequired = true, RemoteCertificateValidationCallback = (_, _, _, _) => true, AllowTlsResume = false }); return ssl; })
        : Task.Run<object>(async () => await OpenSslStream.AcceptAsync(new NetworkStream(s, true), default, sctx, null, default));
    var client = await OpenSslStream.ConnectAsync(tcp.GetStream(), cctx, "server.test", (_, _) => null, default);
    var server = await serverTask;
    // one round trip, then idle with a zero-byte read pending on each side
    await client.WriteAsync(new byte[100]); var b = new byte[100]; await ((Stream)server).ReadExactlyAsync(b);
    await ((Stream)server).WriteAsync(b); await client.ReadExactlyAsync(b);
    _ = client.ReadAsync(Memory<byte>.Empty).AsTask(); _ = ((Stream)server).ReadAsync(Memory<byte>.Empty).AsTask();
    return (client, server);
}
for (int i = 0; i < 50; i++) keep.Add(await OnePair());
await Task.Delay(3000);
GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
var mu0 = InUse(); var rss0 = Rss(); var gc0 = GC.GetTotalMemory(true);
for (int i = 0; i < n; i++) keep.Add(await OnePair());
await Task.Delay(3500);
GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
var gc1 = GC.GetTotalMemory(true);
var rss1 = Rss(); var mu1 = InUse();
var freed = typeof(OpenSslStream).GetField("BuffersFreed", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null);
Console.WriteLine($"freed={freed} mode={mode} n={n} rss/pair={(rss1 - rss0) / (double)n:F1} KiB managed/pair={(gc1 - gc0) / 1024.0 / n:F1} KiB malloc-in-use/pair={(mu1 - mu0) / 1024.0 / n:F1} KiB");
GC.KeepAlive(keep);

static class Native
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    public struct MallInfo2 { public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost; }
    [System.Runtime.InteropServices.DllImport("libc.so.6")] public static extern MallInfo2 mallinfo2();
}
